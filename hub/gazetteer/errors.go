package gazetteer

import "errors"

// ErrInvalid wraps every validation failure of a county file; the message
// after it lists each problem found, so one run shows them all.
var ErrInvalid = errors.New("invalid county")
