package station

import (
	"errors"
	"fmt"

	"cunyou/edge/store"
)

// Code is a stable error code: it appears in logs and API responses and
// keys the operator's message in the message table (edge/messages).
type Code string

const (
	CodeBadRequest        Code = "bad_request"
	CodeWaybillInvalid    Code = "waybill_invalid"
	CodeCarrierUnknown    Code = "carrier_unknown"
	CodeCarrierMismatch   Code = "carrier_mismatch"
	CodeReceiverRequired  Code = "receiver_required"
	CodePhoneInvalid      Code = "phone_invalid"
	CodeNoShelves         Code = "no_shelves"
	CodeShelvesFull       Code = "shelves_full"
	CodeShelfUnknown      Code = "shelf_unknown"
	CodeShelfInUse        Code = "shelf_in_use"
	CodeShelvesInvalid    Code = "shelves_invalid"
	CodeParcelNotFound    Code = "parcel_not_found"
	CodeParcelPickedUp    Code = "parcel_picked_up"
	CodeParcelReturning   Code = "parcel_returning"
	CodeParcelProblem     Code = "parcel_problem"
	CodeParcelNotOnShelf  Code = "parcel_not_on_shelf"
	CodeQueryInvalid      Code = "query_invalid"
	CodeCollectorRequired Code = "collector_required"
	CodeIDInvalid         Code = "id_invalid"
	CodeSenderIDRequired  Code = "sender_id_required"
	CodeNameRequired      Code = "name_required"
	CodeWeightInvalid     Code = "weight_invalid"
	CodeNoTariff          Code = "no_tariff"
	CodeNoWaybillRange    Code = "no_waybill_range"
	CodeWaybillExists     Code = "waybill_exists"
	CodeReasonInvalid     Code = "reason_invalid"
	CodeReasonText        Code = "reason_text_required"
	CodeDateInvalid       Code = "date_invalid"
	CodeDayClosed         Code = "day_already_closed"
	CodeSettingsInvalid   Code = "settings_invalid"
	CodeLoginFailed       Code = "login_failed"
	CodeAccountLocked     Code = "account_locked"
	CodeAccountDisabled   Code = "account_disabled"
	CodeUnauthorized      Code = "unauthorized"
	CodeForbidden         Code = "forbidden"
	CodePasswordWeak      Code = "password_weak"
	CodePINInvalid        Code = "pin_invalid"
	CodeUsernameInvalid   Code = "username_invalid"
	CodeUsernameTaken     Code = "username_taken"
	CodeRoleInvalid       Code = "role_invalid"
	CodeOperatorNotFound  Code = "operator_not_found"
	CodeLastOwner         Code = "last_owner"
	CodeDiskFull          Code = "disk_full"
	CodeDBLocked          Code = "db_locked"
	CodeDBReadOnly        Code = "db_readonly"
	CodeDBFailure         Code = "db_failure"
	CodeInternal          Code = "internal"
)

// Error is a refusal an operator can act on: a stable code, the values its
// message needs, and the underlying cause when there is one.
type Error struct {
	Code Code
	Args map[string]string
	Err  error
}

func (e *Error) Error() string {
	s := string(e.Code)
	if len(e.Args) > 0 {
		s += fmt.Sprint(e.Args)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code Code, kv ...string) *Error {
	e := &Error{Code: code}
	if len(kv) > 0 {
		e.Args = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[kv[i]] = kv[i+1]
		}
	}
	return e
}

// CodeOf returns the stable code for any error: a station refusal's own
// code, a storage fault's code, or CodeInternal.
func CodeOf(err error) Code {
	var se *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Code
	case errors.Is(err, store.ErrDiskFull):
		return CodeDiskFull
	case errors.Is(err, store.ErrLocked):
		return CodeDBLocked
	case errors.Is(err, store.ErrReadOnly):
		return CodeDBReadOnly
	case errors.Is(err, store.ErrIO), errors.Is(err, store.ErrCorrupt):
		return CodeDBFailure
	}
	return CodeInternal
}

// ArgsOf returns the message arguments of a station refusal, or nil.
func ArgsOf(err error) map[string]string {
	var se *Error
	if errors.As(err, &se) {
		return se.Args
	}
	return nil
}
