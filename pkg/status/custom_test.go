package status

import (
	"encoding/json"
	"testing"
)

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]any
		want bool
	}{
		{
			name: "Two nil statuses are equal",
			want: true,
		},
		{
			name: "Statuses with the same nested values are equal",
			a:    map[string]any{"x": map[string]any{"y": []any{"a", true, nil}}},
			b:    map[string]any{"x": map[string]any{"y": []any{"a", true, nil}}},
			want: true,
		},
		{
			name: "A different transition time makes statuses differ",
			a:    map[string]any{"conditions": []any{cond("A", True, "R", "", ts0, 1)}},
			b:    map[string]any{"conditions": []any{cond("A", True, "R", "", ts1, 1)}},
		},
		{
			name: "A different observedGeneration makes statuses differ",
			a:    map[string]any{"conditions": []any{cond("A", True, "R", "", ts0, 1)}},
			b:    map[string]any{"conditions": []any{cond("A", True, "R", "", ts0, 2)}},
		},
		{
			name: "Integers of different Go types and integral floats with the same value are equal",
			a:    map[string]any{"a": int64(3), "b": 3, "c": uint8(3), "d": json.Number("3")},
			b:    map[string]any{"a": float64(3), "b": int64(3), "c": 3.0, "d": int32(3)},
			want: true,
		},
		{
			name: "Numbers with different values differ",
			a:    map[string]any{"a": int64(3)},
			b:    map[string]any{"a": 3.5},
		},
		{
			name: "A number and a string with the same digits differ",
			a:    map[string]any{"a": int64(3)},
			b:    map[string]any{"a": "3"},
		},
		{
			name: "A missing key and a null key differ",
			a:    map[string]any{},
			b:    map[string]any{"a": nil},
		},
		{
			name: "A null and an empty map differ",
			a:    map[string]any{"a": nil},
			b:    map[string]any{"a": map[string]any{}},
		},
		{
			name: "A nil map and a null are equal",
			a:    map[string]any{"a": map[string]any(nil)},
			b:    map[string]any{"a": nil},
			want: true,
		},
		{
			name: "A nil status and an empty status differ",
			b:    map[string]any{},
		},
		{
			name: "Condition order matters",
			a:    map[string]any{"conditions": []any{cond("A", True, "R", "", ts0, 1), cond("B", True, "R", "", ts0, 1)}},
			b:    map[string]any{"conditions": []any{cond("B", True, "R", "", ts0, 1), cond("A", True, "R", "", ts0, 1)}},
		},
		{
			name: "A []map[string]any equals a []any with the same maps",
			a:    map[string]any{"l": []map[string]any{{"a": "b"}}},
			b:    map[string]any{"l": []any{map[string]any{"a": "b"}}},
			want: true,
		},
		{
			name: "Lists of different lengths differ",
			a:    map[string]any{"l": []any{"a"}},
			b:    map[string]any{"l": []any{"a", "a"}},
		},
		{
			name: "Values of types JSON cannot hold are never equal",
			a:    map[string]any{"f": struct{}{}},
			b:    map[string]any{"f": struct{}{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(a, b) = %v, want %v", got, tt.want)
			}
			if got := Equal(tt.b, tt.a); got != tt.want {
				t.Errorf("Equal(b, a) = %v, want %v", got, tt.want)
			}
		})
	}
}
