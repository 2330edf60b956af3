package station

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

const (
	day1 = "2025-03-10" // t0's day
	day2 = "2025-03-11"
)

// at returns a time of day on a test date.
func at(date string, hour, min int) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, date, cst)
	if err != nil {
		panic(err)
	}
	return d.Add(time.Duration(hour)*time.Hour + time.Duration(min)*time.Minute)
}

// dayOne runs a station's first day, 09:00 to 20:00:
// in 3 sf + 2 zto, 1 sf picked up, 1 zto a problem, 1 sf returned,
// 1 sf sent.
func dayOne(t *testing.T, e *env) {
	t.Helper()
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 10})
	require.NoError(t, e.s.ApplyTariffs(e.ctx, testTariffs))
	require.NoError(t, e.s.ApplyWaybillRange(e.ctx, WaybillRange{Carrier: "sf", Prefix: "SF", Next: 101, Last: 109, Width: 13}))
	for _, wb := range []string{sf(1), sf(2), sf(3), zto(4), zto(5)} {
		e.in(t, wb, phone(1), "张三")
	}
	e.clock.Set(at(day1, 10, 0))
	e.pickup(t, sf(1))
	e.clock.Set(at(day1, 11, 0))
	_, err := e.s.MarkProblem(e.ctx, clerk, zto(4), syncproto.ReasonDamaged, "")
	require.NoError(t, err)
	e.clock.Set(at(day1, 12, 0))
	_, err = e.s.Return(e.ctx, clerk, []string{sf(2)}, "")
	require.NoError(t, err)
	e.clock.Set(at(day1, 13, 0))
	_, err = e.s.Send(e.ctx, clerk, sendInput("sf", 1000))
	require.NoError(t, err)
	e.clock.Set(at(day1, 20, 0))
}

// dayTwo runs the second day, 10:00 to 12:00: in 1 yto, 1 zto picked up.
func dayTwo(t *testing.T, e *env) {
	t.Helper()
	e.clock.Set(at(day2, 10, 0))
	e.in(t, yto(6), phone(2), "李四")
	e.clock.Set(at(day2, 11, 0))
	e.pickup(t, zto(5))
	e.clock.Set(at(day2, 12, 0))
}

func TestDayClose(t *testing.T) {
	e := newEnv(t)
	dayOne(t, e)

	wantDay1 := map[string]syncproto.DayCounts{
		"sf":  {In: 3, Out: 1, Sent: 1, Returns: 1, OnShelf: 1},
		"zto": {In: 2, Problems: 1, OnShelf: 2},
	}
	wantTotal1 := syncproto.DayCounts{In: 5, Out: 1, Sent: 1, Problems: 1, Returns: 1, OnShelf: 3}
	rep, err := e.s.DayReport(e.ctx, day1)
	require.NoError(t, err)
	assert.Equal(t, DayReport{Date: day1, ByCarrier: wantDay1, Total: wantTotal1, OpeningSource: "computed", ExpectedOnShelf: 3,
		From: at(day1, 0, 0).UTC(), To: at(day1, 20, 0).UTC()}, rep, "today is counted up to now")
	assert.Equal(t, day1, e.s.Today())

	var closed DayReport
	op := e.oneOp(t, syncproto.KindDayClosed, func() {
		closed, err = e.s.CloseDay(e.ctx, clerk, day1)
		require.NoError(t, err)
	})
	assert.Equal(t, syncproto.DayClosed{Date: day1, FromMs: at(day1, 0, 0).UnixMilli(), ToMs: at(day1, 20, 0).UnixMilli(),
		ByCarrier: wantDay1, Total: wantTotal1}, payload[syncproto.DayClosed](t, op))
	assert.True(t, closed.Closed)
	assert.Equal(t, clerk, closed.ClosedBy)
	require.NotNil(t, closed.ClosedAt)
	assert.True(t, at(day1, 20, 0).Equal(*closed.ClosedAt))
	assert.Equal(t, wantDay1, closed.ByCarrier)
	assert.Zero(t, closed.Mismatch)

	err = e.refused(t, CodeDayClosed, func() error {
		_, err := e.s.CloseDay(e.ctx, owner, day1)
		return err
	})
	assert.Equal(t, map[string]string{"date": day1}, ArgsOf(err))

	dayTwo(t, e)
	rep, err = e.s.DayReport(e.ctx, day2)
	require.NoError(t, err)
	assert.Equal(t, DayReport{
		Date: day2,
		ByCarrier: map[string]syncproto.DayCounts{
			"sf":  {OnShelf: 1},
			"zto": {Out: 1, OnShelf: 1},
			"yto": {In: 1, OnShelf: 1},
		},
		Total:          syncproto.DayCounts{In: 1, Out: 1, OnShelf: 3},
		OpeningOnShelf: 3, OpeningSource: "recorded", ExpectedOnShelf: 3,
		From: at(day1, 20, 0).UTC(), To: at(day2, 12, 0).UTC(), // from the previous close
	}, rep)
	op = e.oneOp(t, syncproto.KindDayClosed, func() {
		rep2, err := e.s.CloseDay(e.ctx, clerk, day2)
		require.NoError(t, err)
		assert.Equal(t, 3, rep2.OpeningOnShelf)
		assert.Equal(t, "recorded", rep2.OpeningSource)
	})
	assert.Equal(t, 3, payload[syncproto.DayClosed](t, op).OpeningOnShelf)

	// A closed day reads as recorded.
	got, err := e.s.DayReport(e.ctx, day1)
	require.NoError(t, err)
	require.NotNil(t, got.ClosedAt)
	assert.True(t, closed.ClosedAt.Equal(*got.ClosedAt))
	got.ClosedAt = closed.ClosedAt
	assert.Equal(t, closed, got)
	assert.Equal(t, 2, e.countRows(t, "day_closes"))
}

// The reconciliation holds on the second day whether its opening figure is
// the first day's recorded close or computed from the parcels.
func TestDayCloseOpening(t *testing.T) {
	for _, closeFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "recorded", false: "computed"}[closeFirst], func(t *testing.T) {
			e := newEnv(t)
			dayOne(t, e)
			if closeFirst {
				_, err := e.s.CloseDay(e.ctx, clerk, day1)
				require.NoError(t, err)
			}
			dayTwo(t, e)
			e.clock.Set(at(day2, 23, 59))
			rep, err := e.s.DayReport(e.ctx, day2)
			require.NoError(t, err)
			assert.Equal(t, 3, rep.OpeningOnShelf)
			assert.Equal(t, map[bool]string{true: "recorded", false: "computed"}[closeFirst], rep.OpeningSource)
			assert.Zero(t, rep.Mismatch)
			assert.False(t, rep.Closed)

			// Closed the morning after, the day is counted up to midnight.
			e.clock.Set(at("2025-03-12", 8, 0))
			rep, err = e.s.CloseDay(e.ctx, clerk, day2)
			require.NoError(t, err)
			assert.Equal(t, syncproto.DayCounts{In: 1, Out: 1, OnShelf: 3}, rep.Total)
			assert.Zero(t, rep.Mismatch)
		})
	}
}

func TestDayCloseDates(t *testing.T) {
	e := newEnv(t)
	dayOne(t, e)

	// A past day with nothing in it.
	rep, err := e.s.DayReport(e.ctx, "2025-03-09")
	require.NoError(t, err)
	assert.Equal(t, DayReport{Date: "2025-03-09", ByCarrier: map[string]syncproto.DayCounts{}, OpeningSource: "computed",
		From: at("2025-03-09", 0, 0).UTC(), To: at(day1, 0, 0).UTC()}, rep)
	e.oneOp(t, syncproto.KindDayClosed, func() {
		_, err := e.s.CloseDay(e.ctx, clerk, "2025-03-09")
		require.NoError(t, err)
	})
	rep, err = e.s.DayReport(e.ctx, day1)
	require.NoError(t, err)
	assert.Equal(t, "recorded", rep.OpeningSource)
	assert.Zero(t, rep.Mismatch)

	for _, date := range []string{day2, "2026-01-01", "2025-3-10", "", "10/03/2025", "2025-02-30", "today"} {
		t.Run(date, func(t *testing.T) {
			_, err := e.s.DayReport(e.ctx, date)
			requireCode(t, err, CodeDateInvalid)
			e.refused(t, CodeDateInvalid, func() error {
				_, err := e.s.CloseDay(e.ctx, clerk, date)
				return err
			})
		})
	}

	// Today is a valid date one second after midnight, and tomorrow is not.
	e.clock.Set(at(day2, 0, 0).Add(time.Second))
	_, err = e.s.DayReport(e.ctx, day2)
	require.NoError(t, err)
	_, err = e.s.DayReport(e.ctx, "2025-03-12")
	requireCode(t, err, CodeDateInvalid)
}

// An operator closes the day in the evening; a villager still drops by.
// What happens after the close is counted in the next day's window, so
// the next day reconciles.
func TestDayCloseThenMoreWork(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 3, Capacity: 10})
	e.in(t, sf(1), phone(1), "张三")
	e.in(t, sf(2), phone(2), "李四")
	e.clock.Set(at(day1, 18, 0))
	_, err := e.s.CloseDay(e.ctx, clerk, day1)
	require.NoError(t, err)
	e.clock.Set(at(day1, 19, 0))
	e.in(t, sf(3), phone(3), "王五")

	e.clock.Set(at(day2, 10, 0))
	rep, err := e.s.DayReport(e.ctx, day2)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.OpeningOnShelf)
	assert.Equal(t, "recorded", rep.OpeningSource)
	assert.Equal(t, syncproto.DayCounts{In: 1, OnShelf: 3}, rep.Total)
	assert.Zero(t, rep.Mismatch, "%+v", rep)
}
