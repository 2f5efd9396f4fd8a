// Package model declares the projects example's one entity, for both sides.
package model

import (
	"time"

	"github.com/tandemkit/tandem/pkg/form"
)

// A Project is named, coloured and archived once done.
type Project struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	Archived  bool      `json:"archived"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Projects have a name no other project has, compared as people read it; a
// project is archived by an update, never created archived.
var Projects = form.Define("projects",
	form.String("name", func(p *Project) *string { return &p.Name }).Required().Length(1, 80),
	form.String("color", func(p *Project) *string { return &p.Color }).OneOf("gray", "red", "green", "blue"),
	form.Bool("archived", func(p *Project) *bool { return &p.Archived }),
).UpdateOnly("archived").Unique("name", form.Folded).Stamp("updatedAt")

// RenameProject is the form of a rename.
var RenameProject = Projects.Update().Pick("name")
