package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// money formats an amount the way a bill shows it: always two places.
func money(d decimal.Decimal) string { return d.StringFixed(2) }

// rate keeps a rate's significant places (0.1250 stays 0.125, 2.8 is 2.80).
func rate(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

type feeStandardJSON struct {
	ID            int64           `json:"id"`
	Community     string          `json:"community"`
	Item          string          `json:"item"`
	Name          string          `json:"name"`
	NameEn        string          `json:"name_en"`
	Basis         domain.FeeBasis `json:"basis"`
	UnitType      string          `json:"unit_type"`
	Rate          string          `json:"rate"`
	EffectiveFrom string          `json:"effective_from"`
	EffectiveTo   *string         `json:"effective_to"`
	Replaces      *int64          `json:"replaces"`
	DeletedAt     *time.Time      `json:"deleted_at"`
	DeletedBy     *string         `json:"deleted_by"`
}

func (s *Server) feeStandardView(f domain.FeeStandard) feeStandardJSON {
	v := feeStandardJSON{ID: f.ID, Community: f.Community, Item: f.Item, Name: f.Name, NameEn: f.NameEn,
		Basis: f.Basis, UnitType: f.UnitType, Rate: rate(f.Rate), EffectiveFrom: f.From.Format(time.DateOnly),
		Replaces: f.Replaces}
	if f.To != nil {
		to := f.To.Format(time.DateOnly)
		v.EffectiveTo = &to
	}
	if f.DeletedAt != nil {
		at, by := f.DeletedAt.In(s.cfg.Location), f.DeletedBy
		v.DeletedAt, v.DeletedBy = &at, &by
	}
	return v
}

func (s *Server) listFeeStandards(c *gin.Context) error {
	community := c.Param("code")
	var day time.Time
	if at := c.Query("at"); at != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, at); err != nil {
			return invalid("at must be a date YYYY-MM-DD")
		}
	}
	// Deleted standards are history: shown only when asked for.
	var withDeleted bool
	switch c.Query("deleted") {
	case "", "false":
	case "true":
		withDeleted = true
	default:
		return invalid("deleted must be true or false")
	}
	if !codeRE.MatchString(community) || !inCommunities(c, community) {
		return notFoundf("no community %q", community)
	}
	fees, err := s.cfg.Store.FeeStandards(c.Request.Context(), community, day, withDeleted)
	if err != nil {
		return orNotFound(err, notFoundf("no community %q", community))
	}
	items := make([]feeStandardJSON, 0, len(fees))
	for _, f := range fees {
		items = append(items, s.feeStandardView(f))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

type feeStandardRequest struct {
	Item          string `json:"item" binding:"required"`
	Name          string `json:"name" binding:"required,max=64"`
	NameEn        string `json:"name_en" binding:"max=64"`
	Basis         string `json:"basis" binding:"required,oneof=area household parking_space"`
	UnitType      string `json:"unit_type" binding:"omitempty,oneof=residential commercial office"`
	Rate          string `json:"rate" binding:"required,max=20"`
	EffectiveFrom string `json:"effective_from" binding:"required"`
	EffectiveTo   string `json:"effective_to"`
	Position      int    `json:"position" binding:"gte=0,lte=1000"`
}

// toStandard checks what binding tags cannot: the item code, the rate as an
// exact decimal (a JSON number would pass through float64) and the dates.
func (r feeStandardRequest) toStandard(community string) (domain.FeeStandard, error) {
	f := domain.FeeStandard{Community: community, Item: r.Item, Basis: domain.FeeBasis(r.Basis), UnitType: r.UnitType}
	if !domain.ValidFeeItem(r.Item) {
		return f, errors.New("item must be a code of 1–32 lower-case letters, digits or _")
	}
	var err error
	if f.Name, err = cleanText("name", r.Name); err != nil {
		return f, err
	}
	if f.NameEn, err = optionalText("name_en", r.NameEn); err != nil {
		return f, err
	}
	f.Rate, err = decimal.NewFromString(strings.TrimSpace(r.Rate))
	switch {
	case err != nil || strings.ContainsAny(r.Rate, "eE"):
		return f, fmt.Errorf("rate %q must be a decimal string such as \"2.80\"", r.Rate)
	case f.Rate.IsNegative():
		return f, errors.New("rate must not be negative")
	case !f.Rate.Equal(f.Rate.Round(domain.MaxRateScale)):
		return f, fmt.Errorf("rate may have at most %d decimal places", domain.MaxRateScale)
	case f.Rate.GreaterThanOrEqual(decimal.NewFromInt(100_000_000)):
		return f, errors.New("rate is too large")
	}
	if f.From, err = time.Parse(time.DateOnly, r.EffectiveFrom); err != nil {
		return f, errors.New("effective_from must be a date YYYY-MM-DD")
	}
	if r.EffectiveTo != "" {
		to, err := time.Parse(time.DateOnly, r.EffectiveTo)
		if err != nil {
			return f, errors.New("effective_to must be a date YYYY-MM-DD")
		}
		if !to.After(f.From) {
			return f, errors.New("effective_to must be after effective_from")
		}
		f.To = &to
	}
	return f, nil
}

func (s *Server) addFeeStandard(c *gin.Context) error {
	var req feeStandardRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	community := c.Param("code")
	if !codeRE.MatchString(community) || !inCommunities(c, community) {
		return notFoundf("no community %q", community)
	}
	f, err := req.toStandard(community)
	if err != nil {
		return invalid(err.Error())
	}
	if req.Position == 0 {
		req.Position = 100
	}
	saved, err := s.cfg.Store.AddFeeStandard(c.Request.Context(), f, req.Position, who(c))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFoundf("no community %q", community)
	case errors.Is(err, store.ErrConflict):
		return conflict("overlapping_standard", err.Error())
	case err != nil:
		return err
	default:
		c.JSON(http.StatusCreated, s.feeStandardView(saved))
	}
	return nil
}

// deleteFeeStandard deletes a standard entered by mistake: it stays in the
// history with who deleted it and when, and the standard it had cut short
// gets its end back. The answer shows both.
func (s *Server) deleteFeeStandard(c *gin.Context) error {
	community, param := c.Param("code"), c.Param("id")
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil || id <= 0 || !codeRE.MatchString(community) || !inCommunities(c, community) {
		return notFoundf("no fee standard %q in community %q", param, community)
	}
	d, err := s.cfg.Store.DeleteFeeStandard(c.Request.Context(), community, id, who(c))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFoundf("no fee standard %d in community %q", id, community)
	case errors.Is(err, store.ErrDeleted):
		var gone *store.FeeDeletedError
		msg := fmt.Sprintf("fee standard %d was already deleted", id)
		if errors.As(err, &gone) {
			msg += fmt.Sprintf(" by %s at %s", gone.By, gone.At.In(s.cfg.Location).Format(time.RFC3339))
		}
		return conflict("already_deleted", msg)
	case err != nil:
		return err
	default:
		var restored *feeStandardJSON
		if d.Restored != nil {
			v := s.feeStandardView(*d.Restored)
			restored = &v
		}
		c.JSON(http.StatusOK, gin.H{"deleted": s.feeStandardView(d.Deleted), "restored": restored})
	}
	return nil
}

type feeLineJSON struct {
	Item     string          `json:"item"`
	Name     string          `json:"name"`
	NameEn   string          `json:"name_en"`
	Basis    domain.FeeBasis `json:"basis"`
	Rate     string          `json:"rate"`
	Quantity string          `json:"quantity"`
	Amount   string          `json:"amount"`
}

// unitFees answers a fee question (费用咨询) with the itemised breakdown.
func (s *Server) unitFees(c *gin.Context) error {
	community, code := c.Param("community"), c.Param("unit")
	period, err := domain.ParsePeriod(c.DefaultQuery("period", time.Now().In(s.cfg.Location).Format("2006-01")))
	if err != nil {
		return invalid(err.Error())
	}
	if !codeRE.MatchString(community) || !codeRE.MatchString(code) || !inCommunities(c, community) {
		return notFoundf("no unit %q in community %q", code, community)
	}
	basis, err := s.cfg.Store.UnitFees(c.Request.Context(), community, code, period.First())
	if err != nil {
		return orNotFound(err, notFoundf("no unit %q in community %q", code, community))
	}
	area, err := decimal.NewFromString(basis.Unit.FloorArea)
	if err != nil {
		return fmt.Errorf("floor area of unit %d: %w", basis.Unit.ID, err)
	}
	b := domain.ComputeFees(domain.FeeUnit{UnitType: basis.Unit.UnitType, FloorArea: area, ParkingSpaces: basis.ParkingSpaces},
		basis.Standards, period)
	items := make([]feeLineJSON, 0, len(b.Lines))
	for _, l := range b.Lines {
		qty := l.Quantity.String()
		if l.Basis == domain.BasisArea {
			qty = l.Quantity.StringFixed(2)
		}
		items = append(items, feeLineJSON{Item: l.Item, Name: l.Name, NameEn: l.NameEn, Basis: l.Basis,
			Rate: rate(l.Rate), Quantity: qty, Amount: money(l.Amount)})
	}
	c.JSON(http.StatusOK, gin.H{
		"community": community, "unit": code, "period": period.String(), "currency": "CNY",
		"unit_type": basis.Unit.UnitType, "floor_area": basis.Unit.FloorArea, "parking_spaces": basis.ParkingSpaces,
		"items": items, "total": money(b.Total),
	})
	return nil
}
