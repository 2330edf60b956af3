package smpp

import (
	"fmt"
	"time"

	"cunyou/sms"
)

// CommandStatus is the command_status of a PDU header: zero in requests,
// the outcome in responses (SMPP 3.4 §5.1.3).
type CommandStatus uint32

// The command_status values this package names. Values 0x400–0x4FF are
// the SMSC vendor's own.
const (
	StatusOK               CommandStatus = 0x00 // ESME_ROK
	StatusInvMsgLen        CommandStatus = 0x01 // ESME_RINVMSGLEN
	StatusInvCmdLen        CommandStatus = 0x02 // ESME_RINVCMDLEN
	StatusInvCmdID         CommandStatus = 0x03 // ESME_RINVCMDID
	StatusInvBindStatus    CommandStatus = 0x04 // ESME_RINVBNDSTS
	StatusAlreadyBound     CommandStatus = 0x05 // ESME_RALYBND
	StatusInvPrtFlg        CommandStatus = 0x06 // ESME_RINVPRTFLG
	StatusInvRegDlvFlg     CommandStatus = 0x07 // ESME_RINVREGDLVFLG
	StatusSysErr           CommandStatus = 0x08 // ESME_RSYSERR
	StatusInvSrcAdr        CommandStatus = 0x0A // ESME_RINVSRCADR
	StatusInvDstAdr        CommandStatus = 0x0B // ESME_RINVDSTADR
	StatusInvMsgID         CommandStatus = 0x0C // ESME_RINVMSGID
	StatusBindFail         CommandStatus = 0x0D // ESME_RBINDFAIL
	StatusInvPaswd         CommandStatus = 0x0E // ESME_RINVPASWD
	StatusInvSysID         CommandStatus = 0x0F // ESME_RINVSYSID
	StatusMsgQFull         CommandStatus = 0x14 // ESME_RMSGQFUL
	StatusInvSerTyp        CommandStatus = 0x15 // ESME_RINVSERTYP
	StatusInvESMClass      CommandStatus = 0x43 // ESME_RINVESMCLASS
	StatusSubmitFail       CommandStatus = 0x45 // ESME_RSUBMITFAIL
	StatusInvSrcTON        CommandStatus = 0x48 // ESME_RINVSRCTON
	StatusInvSrcNPI        CommandStatus = 0x49 // ESME_RINVSRCNPI
	StatusInvDstTON        CommandStatus = 0x50 // ESME_RINVDSTTON
	StatusInvDstNPI        CommandStatus = 0x51 // ESME_RINVDSTNPI
	StatusInvSysTyp        CommandStatus = 0x53 // ESME_RINVSYSTYP
	StatusThrottled        CommandStatus = 0x58 // ESME_RTHROTTLED
	StatusInvSched         CommandStatus = 0x61 // ESME_RINVSCHED
	StatusInvExpiry        CommandStatus = 0x62 // ESME_RINVEXPIRY
	StatusTempAppErr       CommandStatus = 0x64 // ESME_RX_T_APPN
	StatusPermAppErr       CommandStatus = 0x65 // ESME_RX_P_APPN
	StatusRejectAppErr     CommandStatus = 0x66 // ESME_RX_R_APPN
	StatusInvOptParStream  CommandStatus = 0xC0 // ESME_RINVOPTPARSTREAM
	StatusOptParNotAllowed CommandStatus = 0xC1 // ESME_ROPTPARNOTALLWD
	StatusInvParLen        CommandStatus = 0xC2 // ESME_RINVPARLEN
	StatusMissingOptParam  CommandStatus = 0xC3 // ESME_RMISSINGOPTPARAM
	StatusInvOptParamVal   CommandStatus = 0xC4 // ESME_RINVOPTPARAMVAL
	StatusDeliveryFailure  CommandStatus = 0xFE // ESME_RDELIVERYFAILURE
	StatusUnknownErr       CommandStatus = 0xFF // ESME_RUNKNOWNERR
)

var statusNames = map[CommandStatus]string{
	StatusOK: "ESME_ROK", StatusInvMsgLen: "ESME_RINVMSGLEN", StatusInvCmdLen: "ESME_RINVCMDLEN",
	StatusInvCmdID: "ESME_RINVCMDID", StatusInvBindStatus: "ESME_RINVBNDSTS", StatusAlreadyBound: "ESME_RALYBND",
	StatusInvPrtFlg: "ESME_RINVPRTFLG", StatusInvRegDlvFlg: "ESME_RINVREGDLVFLG", StatusSysErr: "ESME_RSYSERR",
	StatusInvSrcAdr: "ESME_RINVSRCADR", StatusInvDstAdr: "ESME_RINVDSTADR", StatusInvMsgID: "ESME_RINVMSGID",
	StatusBindFail: "ESME_RBINDFAIL", StatusInvPaswd: "ESME_RINVPASWD", StatusInvSysID: "ESME_RINVSYSID",
	StatusMsgQFull: "ESME_RMSGQFUL", StatusInvSerTyp: "ESME_RINVSERTYP", StatusInvESMClass: "ESME_RINVESMCLASS",
	StatusSubmitFail: "ESME_RSUBMITFAIL", StatusInvSrcTON: "ESME_RINVSRCTON", StatusInvSrcNPI: "ESME_RINVSRCNPI",
	StatusInvDstTON: "ESME_RINVDSTTON", StatusInvDstNPI: "ESME_RINVDSTNPI", StatusInvSysTyp: "ESME_RINVSYSTYP",
	StatusThrottled: "ESME_RTHROTTLED", StatusInvSched: "ESME_RINVSCHED", StatusInvExpiry: "ESME_RINVEXPIRY",
	StatusTempAppErr: "ESME_RX_T_APPN", StatusPermAppErr: "ESME_RX_P_APPN", StatusRejectAppErr: "ESME_RX_R_APPN",
	StatusInvOptParStream: "ESME_RINVOPTPARSTREAM", StatusOptParNotAllowed: "ESME_ROPTPARNOTALLWD",
	StatusInvParLen: "ESME_RINVPARLEN", StatusMissingOptParam: "ESME_RMISSINGOPTPARAM",
	StatusInvOptParamVal: "ESME_RINVOPTPARAMVAL", StatusDeliveryFailure: "ESME_RDELIVERYFAILURE",
	StatusUnknownErr: "ESME_RUNKNOWNERR",
}

func (s CommandStatus) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("command_status(0x%02X)", uint32(s))
}

// Code is how a command_status appears in sms.Error.Code: "0x58".
func (s CommandStatus) Code() string { return fmt.Sprintf("0x%02X", uint32(s)) }

// ThrottleWait is the RetryAfter of a Throttled error: SMPP gives no hint,
// and operators' windows are per second.
const ThrottleWait = time.Second

// submitKind says what a submit_sm_resp's command_status means for the
// message. The table is the one place where SMPP statuses become kinds:
//
//   - Throttled: ESME_RTHROTTLED.
//   - Temporary: the SMSC is busy or broken for now (queue full, system
//     error, temporary application error, submit failed, delivery failure,
//     unknown and vendor codes), and ESME_RINVBNDSTS (the SMSC lost our bind:
//     the link is reset).
//   - Permanent: this message (its destination, its length, the handset's
//     application refusing it).
//   - Misconfigured: everything that is the same for every message of this
//     gateway (source address, service type, our flags and TLVs, the bind).
func submitKind(s CommandStatus) sms.Kind {
	switch s {
	case StatusThrottled:
		return sms.Throttled
	case StatusInvDstAdr, StatusInvDstTON, StatusInvDstNPI, StatusInvMsgLen, StatusPermAppErr, StatusRejectAppErr:
		return sms.Permanent
	case StatusInvSrcAdr, StatusInvSrcTON, StatusInvSrcNPI, StatusInvSerTyp, StatusInvESMClass,
		StatusInvRegDlvFlg, StatusInvPrtFlg, StatusInvSched, StatusInvExpiry, StatusInvCmdID, StatusInvCmdLen,
		StatusInvOptParStream, StatusOptParNotAllowed, StatusInvParLen, StatusMissingOptParam, StatusInvOptParamVal,
		StatusBindFail, StatusInvPaswd, StatusInvSysID, StatusInvSysTyp:
		return sms.Misconfigured
	}
	return sms.Temporary
}

// bindKind says what a refused bind means: the SMSC's momentary troubles
// are Temporary, every other refusal (password, system id, system type,
// "bind failed") is Misconfigured.
func bindKind(s CommandStatus) sms.Kind {
	switch s {
	case StatusSysErr, StatusMsgQFull, StatusThrottled:
		return sms.Temporary
	}
	return sms.Misconfigured
}

// statusError is the sms.Error of a refused submit_sm.
func statusError(s CommandStatus) *sms.Error {
	e := &sms.Error{Kind: submitKind(s), Code: s.Code(), Msg: "smsc refused submit_sm: " + s.String()}
	if e.Kind == sms.Throttled {
		e.RetryAfter = ThrottleWait
	}
	return e
}
