package waybill

import "errors"

// Errors returned by Normalize.
var (
	ErrEmpty   = errors.New("waybill: empty")
	ErrLength  = errors.New("waybill: bad length")
	ErrCharset = errors.New("waybill: bad character")
)
