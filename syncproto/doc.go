// Package syncproto is the contract between cunyou-edge and cunyou-hub: the op
// envelope every node appends to its outbox, the event vocabulary carried in
// ops, the hybrid logical clock that orders them, and the stable error codes
// both ends speak. It has no database and no HTTP server; edge and hub import
// it, it imports neither.
package syncproto
