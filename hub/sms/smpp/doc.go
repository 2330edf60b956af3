// Package smpp sends the hub's SMS through an SMSC over SMPP 3.4: a
// Gateway (an ESME bound as a transceiver) that keeps the sms.Gateway
// contract, the PDU codec it speaks, and a Simulator of an SMSC for the
// tests and the demo.
//
// # Using the gateway
//
//	g, err := smpp.New(smpp.Options{Addr: "smsc.example:2775", SystemID: "cunyou", Password: "…", SourceAddr: "106900001234"})
//	sent, err := g.Send(ctx, msg)         // sms.Sent{ProviderID, Parts}, or a *sms.Error
//	receipts, err := g.Receipts(ctx, 100) // delivery reports since the last call
//	g.Close()
//
// New waits for the first bind: a refused bind is a Misconfigured error,
// an unreachable SMSC is not (the gateway keeps trying; Send waits for the
// link up to Options.Timeout and fails Temporary with CodeNotBound).
//
// # What goes on the wire
//
// One TCP (or TLS) link, bound with bind_transceiver (interface_version
// 0x34). enquire_link goes out when nothing arrived for
// Options.EnquireLink; an unanswered one drops the link. A dropped link is
// bound again at once, then with a jittered backoff from 100 ms to 30 s
// (30 s every time after a refused bind). Sends wait for the link while
// it is down.
//
// Every text goes as UCS-2 (data_coding 0x08) with registered_delivery 1:
// up to 70 characters in one submit_sm, longer ones in parts of 67 led by
// the header 05 00 03 ref total seq (esm_class 0x40), as the operators
// count them (sms.Count). Destinations go as 86… (TON 1, NPI 1), or as 11
// national digits with Options.National. Up to Options.Window submit_sm
// wait for their submit_sm_resp at once, matched by sequence number; each
// part of a long message holds one slot.
//
// # Provider ids and receipts
//
// Sent.ProviderID is the message_id the SMSC gave the last part. Delivery
// receipts (deliver_sm with esm_class 0x04, answered with deliver_sm_resp)
// become sms.Receipt: the message is the receipted_message_id TLV or the
// text's id:, the status the text's stat: (or the message_state TLV),
// DELIVRD → Delivered, UNDELIV and REJECTD → Failed, EXPIRED → Expired,
// anything else → Unknown, the raw stat kept as Code. The receipts of a
// long message's other parts are dropped (the gateway remembers the last
// 100,000 such ids): the last part's receipt stands for the message.
// Receipts wait in memory until Receipts fetches them.
//
// # Errors
//
// Send's errors are *sms.Error. The SMSC's refusals carry its
// command_status as Code ("0x58") and a kind: ESME_RTHROTTLED is
// Throttled (RetryAfter 1 s); queue full, system errors and unknown codes
// are Temporary; a bad destination or a message refused as such is
// Permanent; what is wrong with every message of this gateway (source
// address, service type, the bind's credentials) is Misconfigured. The
// gateway's own failures are Temporary: CodeNotBound (nothing was sent),
// CodeLinkLost and CodeTimeout (the SMSC may have taken the message and
// the caller may send it twice), CodeCancelled, CodeClosed. Phone numbers
// appear in logs masked (sms.Mask) and never in errors.
//
// # Left out
//
// bind_transmitter/bind_receiver pairs, data_sm, submit_multi, query_sm,
// cancel_sm, replace_sm and outbind; the GSM 7-bit alphabet (cunyou's
// texts always carry a Chinese signature); mobile-originated messages
// (acknowledged and logged, not passed on); receipts surviving a restart.
package smpp
