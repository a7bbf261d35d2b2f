// Package balance chooses which endpoint of a servant object takes a call,
// as TARS clients do (protocol reference §5.2):
//
//   - round robin (the default), from a random starting point;
//   - smooth weighted round robin when every endpoint has weightType 1
//     (static weight), weights normalised to 10-100 as TarsGo does,
//     weight 0 getting one slot;
//   - modulo hash: hash % n over the endpoints sorted by CRC32 of their
//     string form, so that every client maps a hash to the same endpoint;
//   - consistent hash: a ketama ring (MD5, 100 virtual nodes per endpoint,
//     scaled by weight when weighting is on, 4 points per digest).
//
// Endpoints are identified by transport, host and port, so instances on one
// host with different ports are distinct (TarsGo keys by host and merges
// them, §5.2). The hash mode is chosen per call through the context
// (WithHash); a Table is built once per endpoint list and is safe for
// concurrent use.
package balance
