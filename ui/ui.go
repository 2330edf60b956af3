// Package ui holds the web pages as static assets embedded in the
// binaries: the station kiosk, the villagers' public query pages and the
// dispatchers' console. No CDN, no external fonts, no build step.
package ui

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
)

//go:embed console kiosk public
var files embed.FS

// Kiosk returns the kiosk page's files: the embedded copy, or the folder
// dir when it is set (to edit the page without rebuilding).
func Kiosk(dir string) (fs.FS, error) {
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("kiosk ui folder: %w", err)
		}
		return os.DirFS(dir), nil
	}
	return fs.Sub(files, "kiosk")
}

// Public returns the villagers' query pages (served by the hub under
// /q/): the embedded copy, or the folder dir when it is set.
func Public(dir string) (fs.FS, error) {
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("public ui folder: %w", err)
		}
		return os.DirFS(dir), nil
	}
	return fs.Sub(files, "public")
}

// Console returns the dispatchers' console (served by the hub under
// /console/): the embedded copy, or the folder dir when it is set.
func Console(dir string) (fs.FS, error) {
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("console ui folder: %w", err)
		}
		return os.DirFS(dir), nil
	}
	return fs.Sub(files, "console")
}
