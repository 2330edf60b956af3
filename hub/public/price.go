package public

import (
	"net/http"
	"strconv"
	"strings"

	"cunyou/syncproto"
)

// province is a provincial-level division: a short code (the pages'
// message key) and its name (the tariff table's key).
type province struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// provinces in the national order, the same codes as the kiosk's.
var provinces = []province{
	{"bj", "北京市"}, {"tj", "天津市"}, {"he", "河北省"}, {"sx", "山西省"}, {"nm", "内蒙古自治区"}, {"ln", "辽宁省"},
	{"jl", "吉林省"}, {"hl", "黑龙江省"}, {"sh", "上海市"}, {"js", "江苏省"}, {"zj", "浙江省"}, {"ah", "安徽省"},
	{"fj", "福建省"}, {"jx", "江西省"}, {"sd", "山东省"}, {"ha", "河南省"}, {"hb", "湖北省"}, {"hn", "湖南省"},
	{"gd", "广东省"}, {"gx", "广西壮族自治区"}, {"hi", "海南省"}, {"cq", "重庆市"}, {"sc", "四川省"}, {"gz", "贵州省"},
	{"yn", "云南省"}, {"xz", "西藏自治区"}, {"sn", "陕西省"}, {"gs", "甘肃省"}, {"qh", "青海省"}, {"nx", "宁夏回族自治区"},
	{"xj", "新疆维吾尔自治区"}, {"tw", "台湾省"}, {"hk", "香港特别行政区"}, {"mo", "澳门特别行政区"},
}

// findProvince takes a province's code or name.
func findProvince(s string) (province, bool) {
	s = strings.TrimSpace(s)
	for _, p := range provinces {
		if p.Code == strings.ToLower(s) || p.Name == s {
			return p, true
		}
	}
	return province{}, false
}

// maxWeightGrams is the heaviest parcel priced (the stations' limit too).
const maxWeightGrams = 100_000

type priceOptions struct {
	Carriers  []carrierView `json:"carriers"` // those with a tariff
	Provinces []province    `json:"provinces"`
}

func (s *Server) priceOptions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ts, err := s.st.Tariffs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reg, err := s.registry(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans := priceOptions{Carriers: []carrierView{}, Provinces: provinces}
	seen := map[string]bool{}
	for _, t := range ts {
		if !seen[t.Carrier] {
			seen[t.Carrier] = true
			ans.Carriers = append(ans.Carriers, carrierView{Code: t.Carrier, Name: reg.carrierName(t.Carrier)})
		}
	}
	s.reply(w, r, http.StatusOK, ans, cacheRegistry)
}

// priceAnswer is a parcel's price and the rule that gave it.
type priceAnswer struct {
	Carrier    carrierView      `json:"carrier"`
	Province   string           `json:"province"`
	WeightG    int              `json:"weight_g"`
	PriceFen   int              `json:"price_fen"`
	PriceText  string           `json:"price_text"`
	Tariff     syncproto.Tariff `json:"tariff"` // its province is "*" when the default applied
	RuleText   string           `json:"rule_text"`
	IsFallback bool             `json:"default_rate"` // the carrier's rate for other provinces applied
}

func (s *Server) price(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	carrier := strings.ToLower(strings.TrimSpace(q.Get("carrier")))
	prov, ok := findProvince(q.Get("province"))
	if carrier == "" {
		s.fail(w, r, fail(CodeBadCarrier))
		return
	}
	if !ok {
		s.fail(w, r, fail(CodeBadProvince))
		return
	}
	grams, err := strconv.Atoi(strings.TrimSpace(q.Get("weight_g")))
	if err != nil || grams < 1 || grams > maxWeightGrams {
		s.fail(w, r, fail(CodeBadWeight))
		return
	}
	ctx := r.Context()
	ts, err := s.st.Tariffs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reg, err := s.registry(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, known, found := pickTariff(ts, carrier, prov.Name)
	lang := s.lang(r)
	if !known {
		s.fail(w, r, fail(CodeBadCarrier))
		return
	}
	if !found {
		s.fail(w, r, fail(CodeNoTariff, "carrier", reg.carrierName(carrier), "province", prov.Name))
		return
	}
	fen := Price(t, grams)
	s.reply(w, r, http.StatusOK, priceAnswer{
		Carrier: carrierView{Code: carrier, Name: reg.carrierName(carrier)}, Province: prov.Name, WeightG: grams,
		PriceFen: fen, PriceText: money(lang, fen), Tariff: t, IsFallback: t.Province == "*",
		RuleText: text(lang, "price.rule", "first", weight(lang, t.FirstGrams), "first_price", money(lang, t.FirstFen),
			"step", weight(lang, t.StepGrams), "step_price", money(lang, t.StepFen)),
	}, cacheRegistry)
}

// pickTariff finds carrier's tariff to province, else its default ("*").
// known says whether the carrier has any tariff.
func pickTariff(ts []syncproto.Tariff, carrier, province string) (t syncproto.Tariff, known, found bool) {
	for _, x := range ts {
		if x.Carrier != carrier {
			continue
		}
		known = true
		if x.Province == province {
			return x, true, true
		}
		if x.Province == "*" {
			t, found = x, true
		}
	}
	return t, known, found
}

// Price is the first/step rule of syncproto.Tariff: the first FirstGrams
// cost FirstFen, each further StepGrams or part of it StepFen.
func Price(t syncproto.Tariff, grams int) int {
	if grams <= t.FirstGrams {
		return t.FirstFen
	}
	if t.StepGrams <= 0 {
		return t.FirstFen
	}
	steps := (grams - t.FirstGrams + t.StepGrams - 1) / t.StepGrams
	return t.FirstFen + steps*t.StepFen
}

// money says fen in yuan: "12.50 元".
func money(lang Lang, fen int) string {
	return text(lang, "money", "yuan", strconv.Itoa(fen/100)+"."+pad2(fen%100))
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// weight says grams in kilograms when they make a tenth of one, else in
// grams.
func weight(lang Lang, g int) string {
	if g >= 1000 && g%100 == 0 {
		kg := strconv.Itoa(g / 1000)
		if g%1000 != 0 {
			kg += "." + strconv.Itoa(g%1000/100)
		}
		return text(lang, "unit.kg", "n", kg)
	}
	return text(lang, "unit.g", "n", strconv.Itoa(g))
}
