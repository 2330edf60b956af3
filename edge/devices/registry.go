package devices

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"cunyou/edge/config"
)

// Device is one running device.
type Device interface {
	// Run drives the device until ctx ends and reports what happens
	// through r. A device that is absent or failing is reported and
	// tried again; Run returns only when ctx ends.
	Run(ctx context.Context, r *Reporter)
}

// Factory makes the Device of one configured device. It opens nothing:
// Run does.
type Factory func(cfg config.Device, env *Env) (Device, error)

var (
	registryMu sync.Mutex
	registry   = map[string]Factory{}
)

// Register adds the driver of a device kind. Registering a kind twice
// panics: two drivers for one kind is a programming error.
func Register(kind string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[kind]; dup {
		panic(fmt.Sprintf("devices: driver %q registered twice", kind))
	}
	registry[kind] = f
}

// Kinds lists the registered device kinds, sorted.
func Kinds() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	ks := make([]string, 0, len(registry))
	for k := range registry {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func factory(kind string) (Factory, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	f, ok := registry[kind]
	return f, ok
}

func init() {
	Register(config.DeviceIDCard, newIDCard)
	Register(config.DeviceScanner, newScanner)
	Register(config.DevicePrinter, newPrinter)
	Register(config.DeviceCameraHTTP, newHTTPCamera)
	Register(config.DeviceCameraFolder, newFolderCamera)
}
