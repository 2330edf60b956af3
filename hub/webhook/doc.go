// Package webhook pushes parcel events to carriers' and shops' webhook
// endpoints: a durable outbox in the hub's database, signed deliveries,
// retries for a day, a log of every attempt and manual replay.
package webhook
