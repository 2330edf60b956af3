package public

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"cunyou/mask"
)

// How My parcels proves and lists.
const (
	// proofParcels: the tail must end one of the phone's newest inbound
	// parcels, this many at most (fewer valid tails, fewer lucky guesses).
	proofParcels = 20
	// mineParcels is the most parcels read for a phone.
	mineParcels = 50
	// recentDays: collected, returned and problem parcels are listed this
	// long after their last change.
	recentDays = 14
	// latestFor: on-the-way parcels whose newest event is told, at most.
	latestFor = 10
	// mineBodyMax is the largest request body.
	mineBodyMax = 1 << 10
)

type mineRequest struct {
	Phone string `json:"phone"`
	Tail  string `json:"tail"` // last 4 characters of one of the phone's waybills
}

// mineAnswer lists a phone's parcels: those waiting at a station with
// their pickup codes, those on their way, and those recently collected,
// returned or in trouble.
type mineAnswer struct {
	Phone    string        `json:"phone"` // masked
	Waiting  []waitingView `json:"waiting"`
	OnTheWay []parcelView  `json:"on_the_way"`
	Recent   []parcelView  `json:"recent"`
}

type waitingView struct {
	parcelView
	Code  string `json:"code"`  // the pickup code (取件码)
	Since string `json:"since"` // at the station since
	Days  int    `json:"days"`  // whole days waiting
}

var tailRe = regexp.MustCompile(`^[A-Z0-9]{4}$`)

func (s *Server) mine(w http.ResponseWriter, r *http.Request) {
	// A page of another site could make a visitor's browser guess for it:
	// only this page may ask (a JSON body needs a CORS preflight the hub
	// never grants; Sec-Fetch-Site says it outright).
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		s.fail(w, r, fail(CodeCrossSite))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.fail(w, r, fail(CodeUnsupportedMedia))
		return
	}
	var req mineRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, mineBodyMax))
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.fail(w, r, fail(CodeTooLarge))
			return
		}
		s.fail(w, r, fail(CodeBadRequest))
		return
	}
	phone, ok := normalizePhone(req.Phone)
	if !ok {
		s.fail(w, r, fail(CodeBadPhone))
		return
	}
	tail := strings.ToUpper(strings.Join(strings.Fields(req.Tail), ""))
	if !tailRe.MatchString(tail) {
		s.fail(w, r, fail(CodeBadTail))
		return
	}
	now := s.now()
	client := clientKey(r, s.trusted)
	logq := func(outcome string) {
		s.log.Info("public: my parcels", "phone", mask.Phone(phone), "client", client, "outcome", outcome)
	}
	if ok, retry := s.mineIP.take(client, now); !ok {
		logq("client_limited")
		s.fail(w, r, &apiError{code: CodeTooManyTries, args: []string{"minutes", minutes(retry)}, retry: retry})
		return
	}
	if d := s.phones.lockedFor(phone, now); d > 0 {
		logq("phone_locked")
		s.fail(w, r, &apiError{code: CodePhoneLocked, args: []string{"minutes", minutes(d)}, retry: d})
		return
	}
	ctx := r.Context()
	ps, err := s.st.InboundByPhone(ctx, phone, mineParcels)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	proved := false
	for i, p := range ps {
		if i < proofParcels && strings.HasSuffix(p.Waybill, tail) {
			proved = true
		}
	}
	// No parcel and a wrong tail are one answer, counted alike: a stranger
	// learns nothing of whether the phone has parcels.
	if !proved {
		if s.phones.fail(phone, now) {
			logq("locked")
			s.log.Warn("public: phone locked after wrong tries", "phone", mask.Phone(phone), "client", client,
				"for", s.limits.PhoneLock)
			s.fail(w, r, &apiError{code: CodePhoneLocked, args: []string{"minutes", minutes(s.limits.PhoneLock)},
				retry: s.limits.PhoneLock})
			return
		}
		logq("no_match")
		s.fail(w, r, fail(CodeNoMatch))
		return
	}
	s.phones.succeed(phone)
	logq("ok")

	reg, err := s.registry(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := s.lang(r)
	ans := mineAnswer{Phone: mask.Phone(phone), Waiting: []waitingView{}, OnTheWay: []parcelView{}, Recent: []parcelView{}}
	for _, p := range ps {
		v := s.parcelView(lang, reg, p)
		switch p.Status {
		case stAtStation:
			since := lastChange(p)
			ans.Waiting = append(ans.Waiting, waitingView{parcelView: v, Code: p.Code, Since: s.stamp(since),
				Days: max(0, int(now.Sub(since)/(24*time.Hour)))})
		case stManifested, stAtCentre, stSorted, stLoaded, stInTransit:
			if len(ans.OnTheWay) < latestFor {
				facts, err := s.st.TimelinePayloads(ctx, p.Waybill)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				if evs := s.events(lang, reg, p, facts); len(evs) > 0 {
					v.Latest = &evs[0]
				}
			}
			ans.OnTheWay = append(ans.OnTheWay, v)
		default:
			if now.Sub(lastChange(p)) <= recentDays*24*time.Hour {
				ans.Recent = append(ans.Recent, v)
			}
		}
	}
	s.reply(w, r, http.StatusOK, ans, cacheNone)
}

// normalizePhone accepts a mainland mobile number written with spaces,
// dashes or +86 (also in full-width digits) and gives its 11 digits, the
// way the hub stores receivers' phones.
func normalizePhone(raw string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case r == ' ' || r == '-' || r == '\u3000' || r == '－' || r == '+':
		default:
			return "", false
		}
	}
	p := b.String()
	if len(p) == 13 && strings.HasPrefix(p, "86") {
		p = p[2:]
	}
	if len(p) != 11 || p[0] != '1' || p[1] < '3' {
		return "", false
	}
	return p, true
}
