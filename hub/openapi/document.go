package openapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// documentJSON is the OpenAPI 3 document of every route, written by hand.
// TestDocumentMatchesRouter fails when it and the router disagree.
//
//go:embed openapi.json
var documentJSON []byte

// Document returns the OpenAPI document as the server serves it: with the
// hub's version (info.x-hub-version) and the server's batch limit.
func (s *Server) Document() []byte { return s.doc }

// buildDocument fills the embedded document with what is known only at
// run time.
func buildDocument(version string, maxBatch int) []byte {
	var doc map[string]any
	if err := json.Unmarshal(documentJSON, &doc); err != nil {
		panic("openapi: openapi.json: " + err.Error()) // a test reads it: never in a build
	}
	if version != "" {
		doc["info"].(map[string]any)["x-hub-version"] = version
	}
	batch := doc["components"].(map[string]any)["schemas"].(map[string]any)["BatchRequest"].(map[string]any)
	batch["properties"].(map[string]any)["parcels"].(map[string]any)["maxItems"] = maxBatch
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("openapi: encode document: " + err.Error())
	}
	return append(b, '\n')
}

func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*") // so API explorers on other origins can read it
	w.Write(s.doc)
}
