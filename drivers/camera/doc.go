// Package camera brings in pictures (DESIGN §5): the pickup proof photo
// and the parcel photo.
//
//   - HTTPCamera takes JPEG snapshots from a network camera: a GET of its
//     snapshot URL, logged in with Basic or Digest (RFC 7616: MD5,
//     SHA-256, qop=auth) as the camera asks, the answer checked to be one
//     whole JPEG.
//   - Folder watches the folder a document camera's (高拍仪) software saves
//     into and reports each new JPEG or PNG once it is written whole; a
//     folder missing at start is a state, retried.
//   - Store keeps images named by their SHA-256 in the edge's blob layout,
//     each with a small JPEG thumbnail beside it.
//
// Errors wrap the package's sentinel errors; CodeOf gives their stable
// codes (camera.unreachable, camera.auth, …) and MessageOf the sentences
// an operator reads, in Chinese and English.
//
// The package also holds the simulators: a network camera on 127.0.0.1
// serving generated snapshots with faults on demand, and Drop, which
// saves a file into a folder the way document camera software does.
package camera
