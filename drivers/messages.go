package drivers

import "errors"

// Message is what an operator reads about an error: its stable code and a
// sentence in Simplified Chinese (the default) and in English.
type Message struct {
	Code string
	ZH   string
	EN   string
}

// MessageRow gives the Message of the errors that wrap Err.
type MessageRow struct {
	Err error
	Message
}

// Row makes the row of a MessageTable that gives err its code and
// sentences.
func Row(err error, code, zh, en string) MessageRow {
	return MessageRow{Err: err, Message: Message{Code: code, ZH: zh, EN: en}}
}

// MessageTable is a driver's one table of errors, in the order a person
// would look for them: an error reads as the first row whose Err it
// wraps. The last row, with a nil Err, is the fallback.
type MessageTable []MessageRow

// CodeOf returns the stable code of err; "" for nil.
func (t MessageTable) CodeOf(err error) string {
	if err == nil {
		return ""
	}
	return t.MessageOf(err).Code
}

// MessageOf returns the code and the operator's sentences for err.
func (t MessageTable) MessageOf(err error) Message {
	for _, m := range t {
		if m.Err != nil && errors.Is(err, m.Err) {
			return m.Message
		}
	}
	return t[len(t)-1].Message
}

// Messages lists every code with its sentences, for a host's message
// table.
func (t MessageTable) Messages() []Message {
	out := make([]Message, len(t))
	for i, m := range t {
		out[i] = m.Message
	}
	return out
}
