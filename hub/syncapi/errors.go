package syncapi

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// statusOf is the one table from protocol codes to HTTP statuses.
var statusOf = map[syncproto.Code]int{
	syncproto.CodeBadOp:              http.StatusBadRequest,
	syncproto.CodeUnsupportedVersion: http.StatusBadRequest,
	syncproto.CodeUnknownKind:        http.StatusBadRequest,
	syncproto.CodeHashMismatch:       http.StatusBadRequest,
	syncproto.CodeBadPayload:         http.StatusBadRequest,
	syncproto.CodeClockSkew:          http.StatusBadRequest,
	syncproto.CodeBadBatch:           http.StatusBadRequest,
	syncproto.CodeGap:                http.StatusConflict,
	syncproto.CodeUnauthorized:       http.StatusUnauthorized,
	syncproto.CodeWrongNode:          http.StatusForbidden,
	syncproto.CodeBusy:               http.StatusServiceUnavailable,
	syncproto.CodeEnrollCode:         http.StatusForbidden,
	syncproto.CodeBlobMismatch:       http.StatusUnprocessableEntity,
	syncproto.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	syncproto.CodeNotFound:           http.StatusNotFound,
	syncproto.CodeInternal:           http.StatusInternalServerError,
}

func protoErr(code syncproto.Code, msg string) *syncproto.Error {
	return &syncproto.Error{Code: code, Msg: msg}
}

// toProto maps the store's errors to protocol errors; protocol errors
// pass through, anything else is CodeInternal.
func toProto(err error) error {
	var off *store.OffsetError
	switch {
	case errors.As(err, &off):
		return err
	case errors.Is(err, store.ErrUnauthorized):
		return protoErr(syncproto.CodeUnauthorized, "unknown or revoked token: enroll this node again with a new code")
	case errors.Is(err, store.ErrEnrollCode):
		return protoErr(syncproto.CodeEnrollCode, "enrollment code unknown, used or expired: ask the county for a new one")
	case errors.Is(err, store.ErrWrongNode):
		return protoErr(syncproto.CodeWrongNode, strings.TrimPrefix(err.Error(), "store: ")+
			"; the code stays unused: use the code made for this node")
	case errors.Is(err, store.ErrBlobMismatch):
		return protoErr(syncproto.CodeBlobMismatch, "the blob's bytes do not hash to its name; the upload was discarded, start again")
	case errors.Is(err, store.ErrTooLarge):
		return protoErr(syncproto.CodeTooLarge, err.Error())
	case errors.Is(err, store.ErrInvalid):
		return protoErr(syncproto.CodeBadOp, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return protoErr(syncproto.CodeNotFound, err.Error())
	}
	return err
}

// writeError answers err as an ErrorBody with its status.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = toProto(err)
	body := syncproto.NewErrorBody(err)
	status := statusOf[body.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	var gap *merge.GapError
	var off *store.OffsetError
	switch {
	case errors.As(err, &gap):
		body.Cursor = &gap.Cursor
	case errors.As(err, &off):
		// The chunk does not start where the hub's copy ends: a conflict,
		// reported like a gap, with where the copy ends.
		cur := uint64(off.Offset)
		body = syncproto.ErrorBody{Code: syncproto.CodeGap, Name: syncproto.CodeGap.String(), Message: off.Error(), Cursor: &cur}
		status = http.StatusConflict
		w.Header().Set("Upload-Offset", strconv.FormatInt(off.Offset, 10))
	}
	switch body.Code {
	case syncproto.CodeBusy:
		ms := retryAfterMs()
		body.RetryAfterMs = ms
		w.Header().Set("Retry-After", strconv.FormatInt((ms+999)/1000, 10))
	case syncproto.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="cunyou-hub"`)
	case syncproto.CodeInternal:
		s.log.Error("sync api", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Message = "internal error; retry later"
	}
	writeJSON(w, status, body)
}

// retryAfterMs is how long a busy hub asks a node to wait: 1-5 s,
// jittered so that a thousand nodes told at once do not come back at once.
func retryAfterMs() int64 {
	return 1000 + rand.Int64N(4000)
}

func busy(msg string) error { return protoErr(syncproto.CodeBusy, msg) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
