// Command demo runs the demo county of `make run`: a hub loaded with the
// demo county (testdata/county.json: gazetteer, 77 stations, the centre,
// bus lines), carriers, today's trips and a carrier's manifest file, the
// sorting centre and two village stations on loopback, each enrolled with
// the hub and syncing, with demo data and the hub's manifests flowing
// down. It starts the real binaries from bin/ and stops them all on
// Ctrl-C.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"cunyou/drivers/camera"
	"cunyou/drivers/idcard"
	"cunyou/drivers/modem"
	"cunyou/drivers/printer"
	"cunyou/drivers/scanner"
	"cunyou/hub/gazetteer"
	"cunyou/hub/gps"
	"cunyou/hub/sms/smpp"
	"cunyou/sms"
)

type station struct {
	ID, Name string
	Port     int
}

var stations = []station{
	{"ST-V0101", "南岗村驿站", 8701},
	{"ST-V0102", "新兴村驿站", 8702},
}

// consolePassword is the demo console users' password.
const consolePassword = "Cunyou-demo-2026"

const (
	hubAddr    = "127.0.0.1:8600"
	centreAddr = "127.0.0.1:8710"
	gpsAddr    = "127.0.0.1:5015"
	countyFile = "testdata/county.json"
)

func main() {
	bin := flag.String("bin", "bin", "folder of cunyou-hub and cunyou-edge")
	data := flag.String("data", "demo-data", "folder of the demo's databases")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *data); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	bin, data string
	env       map[string][]string // extra environment of a node's process, by name
	config    map[string]string   // config file of a node's serve, by name
	closers   []func()            // the simulated devices, closed at the end
	mu        sync.Mutex
	procs     []*exec.Cmd
}

func run(ctx context.Context, bin, data string) error {
	d := &demo{bin: bin, data: data, env: map[string][]string{}, config: map[string]string{}}
	defer d.stopAll()
	hubData := filepath.Join(data, "hub")
	fresh := false
	if _, err := os.Stat(filepath.Join(hubData, "hub.db")); errors.Is(err, os.ErrNotExist) {
		fresh = true
	}
	if err := os.MkdirAll(hubData, 0o700); err != nil {
		return err
	}
	var codes map[string]string
	var apiKey string
	if fresh {
		var err error
		if codes, apiKey, err = d.setUpHub(ctx, hubData); err != nil {
			return fmt.Errorf("hub: %w", err)
		}
	}
	// The county's SMSC: a simulator speaking SMPP, whose messages the
	// demo prints as they arrive.
	smsc, err := smpp.NewSimulator(smpp.SimOptions{SystemID: "wangkui", Password: "demo1234", ReceiptAfter: 2 * time.Second})
	if err != nil {
		return err
	}
	defer smsc.Close()
	go printMessages(ctx, "SMS", func() (out [][2]string) {
		for _, m := range smsc.Received() {
			out = append(out, [2]string{m.Phone, m.Text})
		}
		return out
	})
	hubConfig := filepath.Join(hubData, "hub.json")
	cfg, _ := json.MarshalIndent(map[string]any{"version": 1, "sms": map[string]any{
		"sign": "望奎村邮", "window": "2s", "quiet": "03:00-03:01", // the demo shows its SMS at any hour
		"gateways": []map[string]any{{"type": "smpp", "addr": smsc.Addr(), "system_id": "wangkui", "password": "demo1234",
			"source_addr": "10690001"}},
	}, "gps": map[string]any{"enabled": true, "listen": gpsAddr}}, "", "  ")
	if err := os.WriteFile(hubConfig, cfg, 0o600); err != nil {
		return err
	}
	if err := d.start(ctx, "hub", "cunyou-hub", "serve", "--config", hubConfig, "--data", hubData, "--listen", hubAddr); err != nil {
		return err
	}
	if err := waitHealthy(ctx, "http://"+hubAddr+"/healthz"); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	busNote, err := d.driveBus(ctx, hubData)
	if err != nil {
		return err
	}

	if fresh {
		// The stations' own texts, for the SMS they send through a modem.
		if _, err := d.output(ctx, "cunyou-hub", "sms", "push", "--config", hubConfig, "--data", hubData); err != nil {
			return err
		}
	}
	// ST-V0102 has an LTE modem (a simulator on a pseudo-terminal): when
	// the hub has not had one of its parcels for 2 minutes, the station
	// sends the arrival SMS itself.
	modemNote := ""
	if sim, err := modem.NewSimulator(modem.SimOptions{}); err == nil {
		defer sim.Close()
		d.env["ST-V0102"] = []string{"CUNYOU_EDGE_MODEM_PORT=" + sim.Path(), "CUNYOU_EDGE_MODEM_AFTER=2m"}
		go printMessages(ctx, "SMS(modem)", func() (out [][2]string) {
			for _, m := range sim.Received() {
				out = append(out, [2]string{m.Phone, m.Text})
			}
			return out
		})
		modemNote = fmt.Sprintf("             ST-V0102 has a modem (simulated on %s): a parcel the hub has not had for 2 min gets its\n"+
			"             SMS from the station (printed \"SMS(modem) → …\"); stop the hub's process to see it\n", sim.Path())
	}

	// ST-V0101 has an ID-card reader, a label printer and a scan gun,
	// all simulated (devices.go).
	devicesNote, err := d.simulateDevices(ctx, "ST-V0101", filepath.Join(data, "ST-V0101"))
	if err != nil {
		return err
	}
	defer d.closeDevices()

	centreDir := filepath.Join(data, "CENTRE")
	if err := d.node(ctx, centreDir, "CENTRE", codes, 7, centreAddr); err != nil {
		return err
	}
	for i, st := range stations {
		addr := fmt.Sprintf("127.0.0.1:%d", st.Port)
		if err := d.node(ctx, filepath.Join(data, st.ID), st.ID, codes, uint64(i+1), addr); err != nil {
			return err
		}
	}
	go d.sendVan(ctx, apiKey)
	fmt.Printf("\n  村邮 demo county 望奎县 — the hub, the sorting centre and %d stations on loopback, syncing\n", len(stations))
	for _, st := range stations {
		fmt.Printf("  kiosk %s %s:  http://127.0.0.1:%d/\n", st.ID, st.Name, st.Port)
	}
	fmt.Printf("  centre CENTRE 分拨中心:      http://%s/   (JSON API /api/v1/centre/…)\n", centreAddr)
	fmt.Printf("  accounts:  owner / PIN 246810 (店主)   clerk / PIN 135790 (店员)\n")
	fmt.Printf("  SMS:       the arrival SMS go to a simulated SMSC (SMPP on %s) and are printed here as \"SMS → 139****5678 …\"\n", smsc.Addr())
	fmt.Print(modemNote)
	fmt.Print(devicesNote)
	fmt.Print(busNote)
	fmt.Printf("  van:       %s leaves the centre on %s (line %s, centre → 南岗村 → 新兴村) with parcels for both demo stations,\n"+
		"             loaded through the centre's API; a few minutes out, the station's kiosk home says it is coming\n", vanPlate, vanTrip(), vanLine)
	fmt.Printf("  console:   http://%s/console/   (dispatcher / %s, or admin / %s)\n", hubAddr, consolePassword, consolePassword)
	fmt.Printf("             statistics: http://%s/console/#/statistics   (also the government's viewer zhengfu / %s)\n", hubAddr, consolePassword)
	fmt.Printf("  villagers: http://%s/q/   (track 73100000000001; my parcels; stations; prices; buses)\n", hubAddr)
	fmt.Printf("  hub:       http://%s/healthz   try: %s/cunyou-hub track --data %s 73100000000001\n", hubAddr, bin, hubData)
	fmt.Printf("             %s/cunyou-hub unresolved --data %s   (the dispatchers' queue)\n", bin, hubData)
	if apiKey != "" {
		fmt.Printf("  open API:  key of client zto-api (shown once): %s\n", apiKey)
	}
	fmt.Printf("  data:      %s/   stop with Ctrl-C\n\n", data)
	<-ctx.Done()
	return nil
}

// printMessages prints each message a simulator received, phone masked,
// as it arrives: received returns all so far as phone and text pairs.
func printMessages(ctx context.Context, label string, received func() [][2]string) {
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		got := received()
		for _, m := range got[seen:] {
			fmt.Printf("%-9s → %s  %s\n", label, sms.Mask(m[0]), m[1])
		}
		seen = len(got)
	}
}

// setUpHub loads the county, carriers, tariffs, fleet, today's trips and
// a carrier's manifest file into a new hub, and returns the nodes'
// enrollment codes and an open API key.
func (d *demo) setUpHub(ctx context.Context, hubData string) (map[string]string, string, error) {
	county, err := demoCounty(hubData)
	if err != nil {
		return nil, "", err
	}
	out, err := d.output(ctx, "cunyou-hub", "county", "load", "--data", hubData, county)
	if err != nil {
		return nil, "", err
	}
	codes := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+)\s+([0-9A-Z]{4}-[0-9A-Z]{4})$`).FindAllStringSubmatch(out, -1) {
		codes[m[1]] = m[2]
	}
	for _, c := range [][2]string{{"zto", "中通快递"}, {"yto", "圆通速递"}, {"sto", "申通快递"}, {"yunda", "韵达速递"},
		{"jt", "极兔速递"}, {"ems", "中国邮政速递物流"}, {"sf", "顺丰速运"}} {
		if _, err := d.output(ctx, "cunyou-hub", "carrier", "add", "--data", hubData, "--code", c[0], "--name", c[1]); err != nil {
			return nil, "", err
		}
	}
	tariffs := filepath.Join(hubData, "tariffs.json")
	var ts []map[string]any
	for i, c := range []string{"zto", "yto", "sto", "yunda", "jt", "ems", "sf"} {
		ts = append(ts, map[string]any{"carrier": c, "province": "*", "first_g": 1000, "first_fen": 800 + 100*i, "step_g": 1000, "step_fen": 300 + 50*i},
			map[string]any{"carrier": c, "province": "黑龙江", "first_g": 1000, "first_fen": 500 + 100*i, "step_g": 1000, "step_fen": 200})
	}
	body, _ := json.Marshal(map[string]any{"tariffs": ts})
	if err := os.WriteFile(tariffs, body, 0o600); err != nil {
		return nil, "", err
	}
	for _, args := range [][]string{
		{"tariffs", "set", "--data", hubData, "--station", "all", "--file", tariffs},
		{"vehicle", "add", "--data", hubData, "--plate", "黑M12345", "--kind", "bus", "--capacity", "300", "--terminal", "013800000001"},
		{"vehicle", "add", "--data", hubData, "--plate", "黑M67890", "--kind", "van", "--capacity", "500", "--terminal", "013800000002"},
		{"vehicle", "add", "--data", hubData, "--plate", vanPlate, "--kind", "van", "--capacity", "200", "--terminal", vanTerminal},
		{"driver", "add", "--data", hubData, "--id", "D001", "--name", "张师傅", "--phone", "13700001111"},
		{"driver", "add", "--data", hubData, "--id", "D002", "--name", "刘师傅", "--phone", "13700002222"},
		{"trips", "plan", "--data", hubData},
	} {
		if _, err := d.output(ctx, "cunyou-hub", args...); err != nil {
			return nil, "", err
		}
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102")
	for _, args := range [][]string{
		{"trips", "set", "--data", hubData, "--id", "L1-" + today + "-0700", "--vehicle", "黑M12345", "--driver", "D001"},
		{"trips", "set", "--data", hubData, "--id", "L2-" + today + "-0700", "--vehicle", "黑M67890", "--driver", "D002"},
		{"trips", "set", "--data", hubData, "--id", vanTrip(), "--vehicle", vanPlate, "--driver", "D002"},
	} {
		if _, err := d.output(ctx, "cunyou-hub", args...); err != nil {
			return nil, "", err
		}
	}
	csv := filepath.Join(hubData, "zto-manifest.csv")
	if err := os.WriteFile(csv, []byte(manifestCSV(42)), 0o600); err != nil {
		return nil, "", err
	}
	out, err = d.output(ctx, "cunyou-hub", "manifest", "import", "--data", hubData, csv)
	if err != nil {
		return nil, "", err
	}
	fmt.Print(lastLine(out))
	// The console's people: a dispatcher, an admin and the county
	// government's viewer (statistics only), with the demo's passwords (a
	// real county's come from user add, printed once).
	for _, u := range [][2]string{{"dispatcher", "dispatcher"}, {"admin", "admin"}, {"zhengfu", "government_viewer"}} {
		if _, err := d.outputIn(ctx, consolePassword+"\n", "cunyou-hub", "user", "add", "--data", hubData, "--username", u[0],
			"--role", u[1], "--password-stdin"); err != nil {
			return nil, "", err
		}
	}
	out, err = d.output(ctx, "cunyou-hub", "client", "add", "--data", hubData, "--id", "zto-api", "--name", "中通快递 黑龙江",
		"--carrier", "zto", "--scopes", "parcels:write,parcels:read,webhooks")
	if err != nil {
		return nil, "", err
	}
	return codes, regexp.MustCompile(`cy_[A-Za-z0-9_-]+`).FindString(out), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return "  " + lines[len(lines)-1] + "\n"
}

// manifestCSV is a carrier's manifest file as people write addresses:
// most for the demo stations' villages, some elsewhere in the county, a
// few the hub cannot place (they wait for a dispatcher) and two bad rows.
func manifestCSV(seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	names := []string{"赵春梅", "孙立新", "周淑珍", "吴宏伟", "王秀英", "李建国", "张丽", "刘洋"}
	addrs := []string{
		"黑龙江省绥化市望奎县望奎镇南岗村三组", "望奎镇南岗屯 王家小卖部旁", "望奎南岗大队5组",
		"望奎县望奎镇新兴村", "望奎镇新兴屯二队", "新兴大队村委会对面(望奎镇)",
		"通江镇福兴村", "先锋镇民主村三组", "卫星镇朝阳村", "惠七满族镇向阳村", "灯塔乡正兰村",
		"南岗村", "望奎县城", "",
	}
	var b strings.Builder
	b.WriteString("运单号,快递公司,收件人,手机,地址,重量\n")
	for i := range 60 {
		addr := addrs[rng.IntN(len(addrs))]
		if i < 24 {
			addr = addrs[i%6]
		}
		fmt.Fprintf(&b, "%s,中通,%s,13%d%08d,%s,%d\n", fmt.Sprintf("731%011d", i+1), names[rng.IntN(len(names))], 5+rng.IntN(5),
			rng.IntN(1e8), addr, 200+rng.IntN(3000))
	}
	b.WriteString("73199999999998,中通,钱七,1390000,望奎镇南岗村,500\n")
	b.WriteString("not-a-waybill,中通,钱八,13900001111,望奎镇南岗村,500\n")
	return b.String()
}

// node enrolls a node of the county (first run), seeds its demo data and
// serves it at addr.
func (d *demo) node(ctx context.Context, dir, id string, codes map[string]string, seed uint64, addr string) error {
	if _, err := os.Stat(filepath.Join(dir, "edge.db")); errors.Is(err, os.ErrNotExist) {
		code, ok := codes[id]
		if !ok {
			return fmt.Errorf("%s: no enrollment code (remove %s to start the demo afresh)", id, d.data)
		}
		if _, err := d.output(ctx, "cunyou-edge", "enroll", "--data", dir, "--hub", "http://"+hubAddr, "--code", code); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	if _, err := d.output(ctx, "cunyou-edge", "demo", "--data", dir, "--node", id, "--seed", fmt.Sprint(seed)); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	args := []string{"serve", "--data", dir, "--listen", addr}
	if f := d.config[id]; f != "" {
		args = append(args, "--config", f)
	}
	if err := d.start(ctx, id, "cunyou-edge", args...); err != nil {
		return err
	}
	if err := waitHealthy(ctx, "http://"+addr+"/healthz"); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	return nil
}

func (d *demo) output(ctx context.Context, prog string, args ...string) (string, error) {
	return d.outputIn(ctx, "", prog, args...)
}

// outputIn is output with stdin as the program's standard input.
func (d *demo) outputIn(ctx context.Context, stdin, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(d.bin, prog), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// start runs a long-lived process, its log lines prefixed with its name.
func (d *demo) start(ctx context.Context, name, prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(d.bin, prog), args...)
	cmd.Env = append(os.Environ(), d.env[name]...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Printf("%-9s %s\n", name, sc.Text())
		}
	}()
	d.mu.Lock()
	d.procs = append(d.procs, cmd)
	d.mu.Unlock()
	return nil
}

func (d *demo) stopAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.procs) - 1; i >= 0; i-- {
		p := d.procs[i]
		p.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
		}
	}
}

func waitHealthy(ctx context.Context, url string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer", url)
}

// devicesAddr is the demo's control of the simulated devices: lay a card
// on the reader, scan a code.
const devicesAddr = "127.0.0.1:8790"

// simulateDevices gives the station id an ID-card reader and a scan gun
// on pseudo-terminals and a TSPL label printer on TCP, writes the
// station's config file naming them, serves a control on devicesAddr and
// prints each label the printer prints. It returns the banner's lines;
// none where pseudo-terminals are missing.
func (d *demo) simulateDevices(ctx context.Context, id, dir string) (string, error) {
	reader, err := idcard.NewSimulator(idcard.SimOptions{})
	if errors.Is(err, idcard.ErrNoPTY) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	d.closers = append(d.closers, func() { reader.Close() })
	gun, err := scanner.NewSimulator(scanner.SimOptions{})
	if err != nil {
		return "", err
	}
	d.closers = append(d.closers, func() { gun.Close() })
	labels, err := printer.NewSimulator(printer.SimOptions{Language: printer.TSPL})
	if err != nil {
		return "", err
	}
	d.closers = append(d.closers, func() { labels.Close() })
	cam, err := camera.NewSimulator(camera.SimOptions{User: "admin", Password: "demo1234"})
	if err != nil {
		return "", err
	}
	d.closers = append(d.closers, func() { cam.Close() })
	cfg, _ := json.MarshalIndent(map[string]any{"version": 1, "devices": []map[string]any{
		{"name": "reader", "kind": "idcard", "port": reader.Path()},
		{"name": "labels", "kind": "printer", "transport": "tcp:" + labels.Addr(), "language": "tspl"},
		{"name": "gun", "kind": "scanner", "port": gun.Path()},
		{"name": "counter", "kind": "camera_http", "url": cam.URL(), "user": "admin", "password": "demo1234"},
	}}, "", "  ")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	d.config[id] = filepath.Join(dir, "edge.json")
	if err := os.WriteFile(d.config[id], cfg, 0o600); err != nil {
		return "", err
	}
	go printLabels(ctx, labels)

	cards := idcard.DemoCards()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /card", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		if n < 0 || n >= len(cards) {
			http.Error(w, fmt.Sprintf("n is 0 to %d", len(cards)-1), http.StatusBadRequest)
			return
		}
		reader.PlaceCard(cards[n])
		fmt.Fprintln(w, "card on the reader:", cards[n])
	})
	mux.HandleFunc("POST /card/remove", func(w http.ResponseWriter, r *http.Request) {
		reader.RemoveCard()
		fmt.Fprintln(w, "no card on the reader")
	})
	mux.HandleFunc("POST /scan", func(w http.ResponseWriter, r *http.Request) {
		if err := gun.Scan(r.URL.Query().Get("code")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "scanned")
	})
	control := &http.Server{Addr: devicesAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	note := fmt.Sprintf("  devices:   %s has a simulated ID-card reader, label printer (TSPL, tcp:%s), scan gun and camera; labels it\n"+
		"             prints show here as \"PRINTER → …\"; see them: %s/cunyou-edge device list --config %s\n", id, labels.Addr(), d.bin, d.config[id])
	if ln, err := net.Listen("tcp", devicesAddr); err == nil {
		go control.Serve(ln)
		d.closers = append(d.closers, func() { control.Close() })
		note += fmt.Sprintf("             lay a card: curl -X POST 'http://%s/card?n=0' (n 0-%d; /card/remove), scan: curl -X POST 'http://%s/scan?code=73100000000001'\n",
			devicesAddr, len(cards)-1, devicesAddr)
	} else {
		note += "             (no control on " + devicesAddr + ": " + err.Error() + ")\n"
	}
	return note, nil
}

func (d *demo) closeDevices() {
	for _, c := range d.closers {
		c()
	}
}

// printLabels prints the text of each label the printer prints.
func printLabels(ctx context.Context, p *printer.Simulator) {
	seen := 0
	for {
		ls, err := p.Wait(ctx, seen+1)
		if err != nil {
			return
		}
		for _, l := range ls[seen:] {
			fmt.Printf("%-9s → %s\n", "PRINTER", strings.Join(l.Texts(), " | "))
		}
		seen = len(ls)
	}
}

// driveBus drives the bus 黑M12345 round line L1 with a simulated JT/T 808
// terminal: it registers, authenticates and reports every 5 s, and comes
// back after a lost connection. It returns the banner's lines.
func (d *demo) driveBus(ctx context.Context, hubData string) (string, error) {
	c, err := gazetteer.LoadFile(countyFile)
	if err != nil {
		return "", err
	}
	var route gps.Route
	for _, l := range c.Lines {
		for _, code := range l.Stops {
			if l.Code != "L1" {
				break
			}
			if v, ok := c.Village(code); ok {
				route = append(route, gps.Point{Lat: v.Lat, Lon: v.Lon})
			} else if code == c.Centre.ID {
				route = append(route, gps.Point{Lat: c.Centre.Lat, Lon: c.Centre.Lon})
			}
		}
	}
	go func() {
		for ctx.Err() == nil {
			term, err := gps.Dial(ctx, gpsAddr, "013800000001", true)
			if err == nil {
				if err = term.Login(ctx, "黑M12345"); err == nil {
					_, err = term.Run(ctx, gps.Drive{Route: route, SpeedKmH: 40, Interval: 5 * time.Second, Loop: true})
				}
				term.Close()
			}
			if ctx.Err() == nil {
				fmt.Printf("GPS       the bus's terminal: %v; again in 10 s\n", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
		}
	}()
	return fmt.Sprintf("  GPS:       bus 黑M12345 drives line L1 with a simulated JT/T 808 terminal (%s), a report every 5 s;\n"+
		"             try: %s/cunyou-hub gps positions --data %s --vehicle 黑M12345\n", gpsAddr, d.bin, hubData), nil
}
