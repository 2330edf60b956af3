package idnum

import "errors"

// Errors returned by Parse. They never contain the number itself.
var (
	ErrLength    = errors.New("idnum: bad length")
	ErrCharset   = errors.New("idnum: bad character")
	ErrBirthDate = errors.New("idnum: bad birth date")
	ErrChecksum  = errors.New("idnum: bad checksum")
)
