package intake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cunyou/hub/store"
	"cunyou/waybill"
)

// Columns a manifest file may have, by the header names people use. The
// header row names them in any order; waybill, carrier and receiver_phone
// are required.
var columns = map[string][]string{
	"waybill":        {"waybill", "运单号", "快递单号", "单号", "面单号"},
	"carrier":        {"carrier", "快递公司", "承运商", "快递"},
	"receiver_name":  {"receiver_name", "收件人", "收件人姓名", "姓名"},
	"receiver_phone": {"receiver_phone", "收件人电话", "收件人手机", "电话", "手机", "手机号"},
	"address":        {"address", "收件地址", "收件人地址", "地址"},
	"weight_g":       {"weight_g", "重量", "重量(克)", "重量（克）"},
	"value_fen":      {"value_fen", "价值", "价值(分)", "价值（分）"},
	"sender_name":    {"sender_name", "寄件人", "发件人", "店铺"},
	"sender_phone":   {"sender_phone", "寄件人电话", "发件人电话"},
}

// MaxFileBytes bounds a manifest file.
const MaxFileBytes = 32 << 20

// ParseFile reads a manifest file: CSV (UTF-8, with or without a BOM, or
// GB18030 as Excel writes it on Chinese Windows) or XLSX (the first
// sheet), by name. It returns the entries with the file row of each, and
// a result for every row that could not be read at all.
func ParseFile(name string, r io.Reader) (entries []Entry, rows []int, bad []Result, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, nil, nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, nil, nil, fmt.Errorf("%w: file over %d MB", store.ErrTooLarge, MaxFileBytes>>20)
	}
	var records [][]string
	var lines []int // file row of each record
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		records, err = readXLSX(data)
		for i := range records {
			lines = append(lines, i+1)
		}
	case ".csv", ".txt", "":
		records, lines, err = readCSV(data)
	default:
		return nil, nil, nil, fmt.Errorf("%w: %s: give a .csv or .xlsx file", store.ErrInvalid, name)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %s: %v", store.ErrInvalid, name, err)
	}
	if len(records) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: %s is empty", store.ErrInvalid, name)
	}
	idx := map[string]int{}
	for i, h := range records[0] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for col, names := range columns {
			for _, n := range names {
				if strings.EqualFold(h, n) {
					idx[col] = i
				}
			}
		}
	}
	for _, need := range []string{"waybill", "carrier", "receiver_phone"} {
		if _, ok := idx[need]; !ok {
			return nil, nil, nil, fmt.Errorf("%w: %s: the header row has no %s column (one of %s)", store.ErrInvalid, name, need,
				strings.Join(columns[need], ", "))
		}
	}
	if len(records)-1 > MaxEntries {
		return nil, nil, nil, fmt.Errorf("%w: %d rows (at most %d a file)", store.ErrTooLarge, len(records)-1, MaxEntries)
	}
	for n, rec := range records[1:] {
		row := lines[n+1]
		get := func(col string) string {
			if i, ok := idx[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue // an empty line
		}
		e := Entry{Waybill: get("waybill"), Carrier: carrierCode(get("carrier")), ReceiverName: get("receiver_name"),
			ReceiverPhone: get("receiver_phone"), Address: get("address"), SenderName: get("sender_name"),
			SenderPhone: get("sender_phone")}
		var numErr error
		e.WeightGrams, numErr = number(get("weight_g"))
		if numErr == nil {
			e.ValueFen, numErr = number(get("value_fen"))
		}
		if numErr != nil {
			bad = append(bad, Result{Row: row, Waybill: e.Waybill, Outcome: Rejected, Code: CodeBadField, Message: numErr.Error()})
			continue
		}
		entries = append(entries, e)
		rows = append(rows, row)
	}
	return entries, rows, bad, nil
}

// number reads a whole number cell ("" is 0; "1,200" and "800.0" are
// read as spreadsheets write them).
func number(s string) (int, error) {
	s = strings.ReplaceAll(s, ",", "")
	if s == "" {
		return 0, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) {
		return int(f), nil
	}
	return 0, fmt.Errorf("%q is not a whole number", s)
}

// carrierCode maps a carrier's Chinese name (中通, 中通快递) to its code.
func carrierCode(s string) string {
	for _, c := range waybill.Carriers() {
		if s == c.Name || s == c.Short || strings.EqualFold(s, c.Code) {
			return c.Code
		}
	}
	return strings.ToLower(s)
}

// readCSV returns the records and the line each starts on (the reader
// skips empty lines, and a quoted field may span lines).
func readCSV(data []byte) ([][]string, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, nil, fmt.Errorf("neither UTF-8 nor GB18030: %v", err)
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var recs [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return recs, lines, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, nil, fmt.Errorf("line %d: %v", pe.Line, pe.Err)
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		recs = append(recs, rec)
		lines = append(lines, line)
	}
}

func readXLSX(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not an XLSX workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the workbook has no sheet")
	}
	return f.GetRows(sheets[0])
}

// AnnounceFile imports a manifest file: the good rows land (in one
// transaction), every bad row is reported with its file row and reason.
func (s *Service) AnnounceFile(ctx context.Context, source, scope, name string, r io.Reader) ([]Result, error) {
	entries, rows, bad, err := ParseFile(name, r)
	if err != nil {
		return nil, err
	}
	results, err := s.Announce(ctx, source, scope, entries)
	if err != nil {
		return nil, err
	}
	for i := range results {
		results[i].Row = rows[i]
	}
	all := append(results, bad...)
	slices.SortStableFunc(all, func(a, b Result) int { return cmp.Compare(a.Row, b.Row) })
	return all, nil
}
