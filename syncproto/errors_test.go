package syncproto_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cunyou/syncproto"
)

func TestCodeNumbersAndNamesAreStable(t *testing.T) {
	// Codes cross the wire as numbers and are shown by name: neither may
	// ever change.
	tests := []struct {
		code syncproto.Code
		num  uint16
		name string
	}{
		{syncproto.CodeOK, 0, "ok"},
		{syncproto.CodeBadOp, 1, "bad_op"},
		{syncproto.CodeUnsupportedVersion, 2, "unsupported_version"},
		{syncproto.CodeUnknownKind, 3, "unknown_kind"},
		{syncproto.CodeHashMismatch, 4, "hash_mismatch"},
		{syncproto.CodeBadPayload, 5, "bad_payload"},
		{syncproto.CodeClockSkew, 6, "clock_skew"},
		{syncproto.CodeBadBatch, 7, "bad_batch"},
		{syncproto.CodeGap, 8, "gap"},
		{syncproto.CodeUnauthorized, 9, "unauthorized"},
		{syncproto.CodeWrongNode, 10, "wrong_node"},
		{syncproto.CodeBusy, 11, "busy"},
		{syncproto.CodeEnrollCode, 12, "enroll_code"},
		{syncproto.CodeBlobMismatch, 13, "blob_mismatch"},
		{syncproto.CodeTooLarge, 14, "too_large"},
		{syncproto.CodeNotFound, 15, "not_found"},
		{syncproto.CodeInternal, 16, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.num, uint16(tt.code))
			assert.Equal(t, tt.name, tt.code.String())
		})
	}
}

func TestCodeStringUnknown(t *testing.T) {
	assert.Equal(t, "code_999", syncproto.Code(999).String())
	assert.Equal(t, "code_65535", syncproto.Code(65535).String())
}

func TestErrorMessage(t *testing.T) {
	err := &syncproto.Error{Code: syncproto.CodeClockSkew, Msg: "remote clock 10m0s ahead"}
	assert.Equal(t, "syncproto clock_skew: remote clock 10m0s ahead", err.Error())
	err = &syncproto.Error{Code: 99, Msg: "from a newer hub"}
	assert.Equal(t, "syncproto code_99: from a newer hub", err.Error())
}
