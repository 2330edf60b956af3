package public

import (
	"context"
	"errors"
	"sync"
	"time"

	"cunyou/hub/gazetteer"
	"cunyou/hub/store"
	"cunyou/waybill"
)

// registryTTL is how long the county's registries are kept in memory: a
// station's new hours show within this time.
const registryTTL = 30 * time.Second

// registry is what the pages show of the county, read together and kept
// for registryTTL: towns and villages, sites, lines, carriers' names.
type registry struct {
	county    *gazetteer.County // nil while no county is loaded
	sites     map[string]store.Site
	byVillage map[string][]store.Site // public stations of each village code
	lines     map[string]store.Line
	carriers  map[string]string // code → display name
	at        time.Time
}

type registryCache struct {
	st *store.Store
	mu sync.Mutex
	r  *registry
}

func (c *registryCache) get(ctx context.Context) (*registry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r != nil && time.Since(c.r.at) < registryTTL {
		return c.r, nil
	}
	r := &registry{sites: map[string]store.Site{}, byVillage: map[string][]store.Site{}, lines: map[string]store.Line{},
		carriers: map[string]string{}, at: time.Now()}
	county, err := c.st.County(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		r.county = county
	}
	sites, err := c.st.Sites(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		r.sites[s.Node] = s
		if isPublicStation(s) && s.Village != "" {
			r.byVillage[s.Village] = append(r.byVillage[s.Village], s)
		}
	}
	lines, err := c.st.Lines(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		r.lines[l.Code] = l
	}
	carriers, err := c.st.Carriers(ctx)
	if err != nil {
		return nil, err
	}
	for _, cr := range carriers {
		r.carriers[cr.Code] = cr.Name
	}
	c.r = r
	return r, nil
}

// forget drops the cached registries (tests change them).
func (c *registryCache) forget() {
	c.mu.Lock()
	c.r = nil
	c.mu.Unlock()
}

// isPublicStation: a village station the finder shows (closed or
// disabled ones are not).
func isPublicStation(s store.Site) bool {
	return s.Kind == "station" && !s.Disabled && s.Status != "closed"
}

// carrierName is a carrier's Chinese name: the one the waybill package
// knows, else the registry's, else the code.
func (r *registry) carrierName(code string) string {
	if c, ok := waybill.Lookup(code); ok {
		return c.Name
	}
	if n := r.carriers[code]; n != "" {
		return n
	}
	return code
}

// siteName is a node's display name, or what to call an unknown one.
func (r *registry) siteName(lang Lang, node string) string {
	if s, ok := r.sites[node]; ok && s.Name != "" {
		return s.Name
	}
	if r.county != nil && node == r.county.Centre.ID {
		return r.county.Centre.Name
	}
	return text(lang, "place.unknown")
}

// centreName is the county centre's name.
func (r *registry) centreName(lang Lang) string {
	if r.county != nil && r.county.Centre.Name != "" {
		return r.county.Centre.Name
	}
	return text(lang, "place.centre")
}
