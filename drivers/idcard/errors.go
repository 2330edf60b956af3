package idcard

import (
	"errors"
	"fmt"

	"cunyou/drivers/pty"
)

// Error is an error of the reader with a stable code, which crosses
// boundaries (events, the kiosk API, logs), and the sentence an operator
// reads: what happened and what to do, in Simplified Chinese with the
// English beside it. Every error of this package wraps one of the values
// below; Code and Sentence find it.
type Error struct {
	Code string // stable, e.g. "idcard.no_card"
	SW3  byte   // the reader's status byte (PROTOCOLS §1.4); 0 for errors of our own
	Text string // for Error(): lowercase English, no full stop
	ZH   string // the operator's sentence, Simplified Chinese
	EN   string // the same in English
}

func (e *Error) Error() string { return e.Text }

// Errors of the link, the frames and the card data.
var (
	ErrNotFound = &Error{Code: "idcard.not_found", Text: "id-card reader not found",
		ZH: "未找到身份证阅读器：请检查阅读器的USB线是否插好，插好后稍等几秒。",
		EN: "The ID-card reader was not found: check that its USB cable is plugged in, then wait a few seconds."}
	ErrBusy = &Error{Code: "idcard.busy", Text: "id-card reader port busy",
		ZH: "身份证阅读器被其他程序占用：请关闭厂家自带的读卡软件后重试。",
		EN: "Another program is using the ID-card reader: close the vendor's card-reading software and try again."}
	ErrPermission = &Error{Code: "idcard.permission", Text: "no permission to open the id-card reader",
		ZH: "没有权限打开身份证阅读器：请联系技术员检查设备权限。",
		EN: "No permission to open the ID-card reader: ask the technician to check the device permissions."}
	ErrTimeout = &Error{Code: "idcard.timeout", Text: "id-card reader did not answer",
		ZH: "身份证阅读器没有响应：请拔下阅读器的USB线，等几秒再插上。",
		EN: "The ID-card reader does not answer: unplug its USB cable, wait a few seconds and plug it in again."}
	ErrProtocol = &Error{Code: "idcard.protocol", Text: "id-card reader answered something unexpected",
		ZH: "身份证阅读器返回的数据有误：请把身份证拿开后重新放好；多次出现请联系技术员。",
		EN: "The ID-card reader answered something unexpected: lift the card and place it again; if it keeps happening, call the technician."}
	ErrClosed = &Error{Code: "idcard.closed", Text: "id-card reader connection closed",
		ZH: "与身份证阅读器的连接已断开：请检查USB线，系统会自动重新连接。",
		EN: "The connection to the ID-card reader was lost: check the USB cable; it reconnects by itself."}
	ErrChecksum = &Error{Code: "idcard.checksum", Text: "frame checksum mismatch",
		ZH: "读卡数据校验失败：请把身份证拿开后重新放好。",
		EN: "The card data failed its checksum: lift the ID card and place it again."}
	ErrStatus = &Error{Code: "idcard.status", Text: "id-card reader gave an unknown status",
		ZH: "身份证阅读器返回未知状态：请把身份证拿开后重新放好；多次出现请联系技术员。",
		EN: "The ID-card reader gave an unknown status: lift the card and place it again; if it keeps happening, call the technician."}
	ErrIDNumber = &Error{Code: "idcard.id_number", Text: "id number fails its check",
		ZH: "身份证号码校验不通过：请人工核对证件，有疑问请拒绝办理。",
		EN: "The ID number fails its check digit: check the document by hand and refuse if in doubt."}
	ErrCardData = &Error{Code: "idcard.card_data", Text: "card data malformed",
		ZH: "证件数据无法识别：请人工核对证件并登记。",
		EN: "The card's data cannot be understood: check the document and register it by hand."}
	ErrForeignerCard = &Error{Code: "idcard.foreigner_card", Text: "foreigner's permanent residence card not supported",
		ZH: "暂不支持自动读取外国人永久居留身份证：请人工登记证件信息。",
		EN: "Foreigners' permanent residence cards cannot be read automatically yet: register the document by hand."}
	ErrPhoto = &Error{Code: "idcard.photo", Text: "id photo not decoded",
		ZH: "身份证照片无法显示：可以继续办理，请当面核对本人与证件。",
		EN: "The ID photo cannot be shown: you may continue; compare the person with the card face to face."}
)

// ErrNoPTY is returned by NewSimulator where there are no pseudo-terminals.
var ErrNoPTY = pty.ErrNoPTY

// The reader's status codes other than success (SW3, PROTOCOLS §1.4).
var (
	ErrHostChecksum = &Error{Code: "idcard.host_checksum", SW3: 0x10, Text: "reader received a frame with a bad checksum",
		ZH: "阅读器收到的数据有误（校验和错误）：请重新放卡；多次出现请检查USB线。",
		EN: "The reader received corrupted data (checksum): place the card again; if it repeats, check the USB cable."}
	ErrHostLength = &Error{Code: "idcard.host_length", SW3: 0x11, Text: "reader received a frame with a bad length",
		ZH: "阅读器收到的数据长度有误：请重新放卡；多次出现请检查USB线。",
		EN: "The reader received data of a wrong length: place the card again; if it repeats, check the USB cable."}
	ErrCommand = &Error{Code: "idcard.command", SW3: 0x21, Text: "reader rejected the command",
		ZH: "阅读器不支持该命令：请联系技术员检查阅读器型号。",
		EN: "The reader does not know the command: ask the technician to check the reader model."}
	ErrForbidden = &Error{Code: "idcard.forbidden", SW3: 0x23, Text: "reader refused an unauthorised operation",
		ZH: "阅读器拒绝了越权操作：请拔插阅读器后重试；仍失败请联系技术员。",
		EN: "The reader refused an operation it is not authorised for: replug the reader and retry; if it still fails, call the technician."}
	ErrReaderUnknown = &Error{Code: "idcard.reader_error", SW3: 0x24, Text: "reader reported an unknown error",
		ZH: "阅读器出现未知错误：请拔下阅读器的USB线，等几秒再插上。",
		EN: "The reader reported an unknown error: unplug its USB cable, wait a few seconds and plug it in again."}
	ErrCardAuth = &Error{Code: "idcard.card_auth", SW3: 0x31, Text: "card failed to authenticate the sam",
		ZH: "身份证认证失败：请把身份证拿开后重新放好；仍失败请人工核验证件真伪。",
		EN: "The card failed to authenticate: lift the ID card and place it again; if it still fails, check the document by hand."}
	ErrSAMAuth = &Error{Code: "idcard.sam_auth", SW3: 0x32, Text: "sam failed to authenticate the card",
		ZH: "身份证认证失败：请重新放卡；仍失败可能是损坏或伪造的证件，请人工核验。",
		EN: "The card could not be authenticated: place it again; if it still fails the card may be damaged or forged, check it by hand."}
	ErrVerify = &Error{Code: "idcard.verify", SW3: 0x33, Text: "card information failed verification",
		ZH: "证件信息验证失败：请重新放卡；仍失败请人工核验证件真伪。",
		EN: "The card's information failed verification: place it again; if it still fails, check the document by hand."}
	ErrCardType = &Error{Code: "idcard.card_type", SW3: 0x40, Text: "unknown card type",
		ZH: "无法识别的卡片：请放第二代居民身份证或港澳台居民居住证。",
		EN: "This card is not recognised: place a 2nd-generation resident ID card or a Hong Kong/Macau/Taiwan residence permit."}
	ErrReadCard = &Error{Code: "idcard.read_failed", SW3: 0x41, Text: "reading the card failed",
		ZH: "读卡失败：请把身份证平放在阅读器中央，不要移动，重新读取。",
		EN: "Reading the card failed: lay the ID card flat in the middle of the reader, keep it still and read again."}
	ErrRandom = &Error{Code: "idcard.random", SW3: 0x47, Text: "getting a random number from the card failed",
		ZH: "读卡失败（取随机数失败）：请把身份证拿开后重新放好。",
		EN: "Reading the card failed (random number): lift the ID card and place it again."}
	ErrSAMSelfTest = &Error{Code: "idcard.sam_self_test", SW3: 0x60, Text: "sam self-test failed",
		ZH: "阅读器安全模块自检失败：请拔插阅读器；仍失败请联系技术员更换阅读器。",
		EN: "The reader's security module failed its self-test: replug the reader; if it still fails, have the technician replace it."}
	ErrSAMUnauthorised = &Error{Code: "idcard.sam_unauthorised", SW3: 0x66, Text: "sam not authorised",
		ZH: "阅读器安全模块未授权：请联系技术员或阅读器厂家。",
		EN: "The reader's security module is not authorised: call the technician or the reader's maker."}
	ErrNoCard = &Error{Code: "idcard.no_card", SW3: 0x80, Text: "no card on the reader",
		ZH: "未找到身份证：请把身份证平放在阅读器上。",
		EN: "No ID card found: lay the card flat on the reader."}
	ErrSelectCard = &Error{Code: "idcard.select_failed", SW3: 0x81, Text: "selecting the card failed",
		ZH: "选卡失败：请把身份证拿开后重新放好，不要移动。",
		EN: "Selecting the card failed: lift the ID card, place it again and keep it still."}
	ErrItemEmpty = &Error{Code: "idcard.item_empty", SW3: 0x91, Text: "the card holds nothing for this item",
		ZH: "证件中此项无内容：请人工核对证件。",
		EN: "The card holds nothing for this item: check the document by hand."}
	ErrCommFault = &Error{Code: "idcard.comm_fault", SW3: 0xFF, Text: "reader reported a communication fault",
		ZH: "阅读器通信故障：请检查USB线，拔插阅读器后重试。",
		EN: "The reader reported a communication fault: check the USB cable, replug the reader and retry."}
)

// SW3OK and SW3Found are the success statuses: done, and card found.
const (
	SW3OK    = 0x90
	SW3Found = 0x9F
)

// errorTable is every error value, the table the kiosk's messages and
// the tests read.
var errorTable = []*Error{
	ErrNotFound, ErrBusy, ErrPermission, ErrTimeout, ErrProtocol, ErrClosed, ErrChecksum, ErrStatus,
	ErrIDNumber, ErrCardData, ErrForeignerCard, ErrPhoto,
	ErrHostChecksum, ErrHostLength, ErrCommand, ErrForbidden, ErrReaderUnknown, ErrCardAuth, ErrSAMAuth,
	ErrVerify, ErrCardType, ErrReadCard, ErrRandom, ErrSAMSelfTest, ErrSAMUnauthorised, ErrNoCard,
	ErrSelectCard, ErrItemEmpty, ErrCommFault,
}

var bySW3 = func() map[byte]*Error {
	m := map[byte]*Error{}
	for _, e := range errorTable {
		if e.SW3 != 0 {
			m[e.SW3] = e
		}
	}
	return m
}()

// Errors returns every error value of the package, for message tables.
func Errors() []*Error { return append([]*Error(nil), errorTable...) }

// StatusErr returns the error for a reader's SW3: nil for 0x90 and 0x9F,
// the listed error value, or an error wrapping ErrStatus.
func StatusErr(sw3 byte) error {
	if sw3 == SW3OK || sw3 == SW3Found {
		return nil
	}
	if e, ok := bySW3[sw3]; ok {
		return e
	}
	return fmt.Errorf("%w: SW3 %02X", ErrStatus, sw3)
}

// Code returns the stable code of err, e.g. "idcard.no_card", or "" when
// err is nil or none of ours.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Sentence returns what the operator reads about err, in Simplified
// Chinese and in English; an error that is none of ours reads as a
// protocol error.
func Sentence(err error) (zh, en string) {
	if err == nil {
		return "", ""
	}
	e := ErrProtocol
	errors.As(err, &e)
	return e.ZH, e.EN
}
