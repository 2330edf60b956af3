package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"cunyou/hub/gazetteer"
	"cunyou/hub/gps"
)

// The demo's van line: the county file's lines go nowhere near the demo's
// stations, so the demo adds a goods van from the centre to 南岗村 and
// 新兴村 and back. Its first trip of the day carries a few of the
// carrier's parcels for them, scanned, loaded and sent off at the centre
// through the centre's own API; the van's simulated JT/T 808 terminal
// then drives the round, and when it comes within a few kilometres of a
// station the station's kiosk says so on its home screen (the hub's
// "arriving soon").
const (
	vanLine     = "L6"
	vanPlate    = "黑M24680"
	vanTerminal = "013800000003"
	vanKmH      = 40
	vanDepart   = "08:00"
)

// demoCounty writes the county file with the van line to dir and returns
// its path.
func demoCounty(dir string) (string, error) {
	b, err := os.ReadFile(countyFile)
	if err != nil {
		return "", err
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return "", err
	}
	c["lines"] = append(c["lines"].([]any), map[string]any{
		"code": vanLine, "name": "望奎6路 货运专线（南岗、新兴）", "stops": []string{"CENTRE", "V0101", "V0102", "CENTRE"},
		"departures": []string{vanDepart, "15:00"},
	})
	out, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "county.json")
	return path, os.WriteFile(path, out, 0o600)
}

// vanTrip is today's first trip of the van line.
func vanTrip() string {
	return vanLine + "-" + time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102") + "-" + vanDepart[:2] + vanDepart[3:]
}

// centreClient calls the centre's JSON API as its owner.
type centreClient struct {
	base, token string
}

func (c *centreClient) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// sendVan loads the van's first trip with up to six parcels the hub has
// for the demo's stations and no one has scanned yet (apiKey reads them
// through the open API; "" on a demo started again, whose van already
// left), sends it off, and drives the van round its line for ever. It
// runs in the background and prints what it did.
func (d *demo) sendVan(ctx context.Context, apiKey string) {
	trip := vanTrip()
	if apiKey != "" {
		loaded, err := d.loadVan(ctx, apiKey, trip)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fmt.Printf("VAN       could not load %s at the centre: %v\n", trip, err)
		default:
			fmt.Printf("VAN       %s left the centre on %s with %d parcels for 南岗村驿站 and 新兴村驿站\n", vanPlate, trip, loaded)
		}
	}
	cnty, err := gazetteer.LoadFile(countyFile)
	if err != nil {
		fmt.Printf("VAN       %v\n", err)
		return
	}
	var route gps.Route
	route = append(route, gps.Point{Lat: cnty.Centre.Lat, Lon: cnty.Centre.Lon})
	for _, code := range []string{"V0101", "V0102"} {
		v, _ := cnty.Village(code)
		route = append(route, gps.Point{Lat: v.Lat, Lon: v.Lon})
	}
	route = append(route, gps.Point{Lat: cnty.Centre.Lat, Lon: cnty.Centre.Lon})
	for ctx.Err() == nil {
		term, err := gps.Dial(ctx, gpsAddr, vanTerminal, true)
		if err == nil {
			if err = term.Login(ctx, vanPlate); err == nil {
				_, err = term.Run(ctx, gps.Drive{Route: route, SpeedKmH: vanKmH, Interval: 5 * time.Second, Loop: true})
			}
			term.Close()
		}
		if ctx.Err() == nil {
			fmt.Printf("VAN       the van's terminal: %v; again in 10 s\n", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
}

// loadVan scans in, loads onto trip and sends off up to six parcels the
// hub has announced for the demo's stations (three for each), as the
// centre's staff would; it waits for the centre to have the trip from the
// hub.
func (d *demo) loadVan(ctx context.Context, apiKey, trip string) (int, error) {
	hub := &centreClient{base: "http://" + hubAddr, token: apiKey}
	var waybills []string
	for _, st := range stations {
		var list struct {
			Parcels []struct {
				Waybill string `json:"waybill"`
			} `json:"parcels"`
		}
		if err := hub.call(ctx, "GET", "/api/v1/parcels?status=manifested&limit=3&station="+st.ID, nil, &list); err != nil {
			return 0, err
		}
		for _, p := range list.Parcels {
			waybills = append(waybills, p.Waybill)
		}
	}
	c := &centreClient{base: "http://" + centreAddr}
	for i := 0; ; i++ {
		var login struct {
			Token string `json:"token"`
		}
		err := c.call(ctx, "POST", "/api/v1/login", map[string]string{"username": "owner", "secret": "246810"}, &login)
		if err == nil {
			c.token = login.Token
			err = c.call(ctx, "GET", "/api/v1/centre/trips/"+url.PathEscape(trip), nil, nil)
		}
		if err == nil {
			break
		}
		if i == 60 {
			return 0, fmt.Errorf("the centre has no trip %s from the hub after a minute: %v", trip, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	n := 0
	for _, wb := range waybills {
		if err := c.call(ctx, "POST", "/api/v1/centre/scan", map[string]string{"waybill": wb}, nil); err != nil {
			return n, err
		}
		if err := c.call(ctx, "POST", "/api/v1/centre/load", map[string]string{"waybill": wb, "trip": trip}, nil); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("the hub has no parcels announced for the demo's stations")
	}
	return n, c.call(ctx, "POST", "/api/v1/centre/trips/"+url.PathEscape(trip)+"/depart", map[string]any{}, nil)
}
