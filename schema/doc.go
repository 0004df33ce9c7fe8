// Package schema is lbcheck's deployment model and its loader.
//
// The model (Deployment, LoadBalancer, Rule, Guest, ...) is what every other
// package works on. Every object embeds Node, which records the position of
// the object and of each field the user wrote, so that findings point at
// file:line:col in the user's file.
//
// Load and LoadBytes read YAML (multi-document), JSON or CUE files, validate
// every document against the embedded CUE schema (SchemaSource; #Deployment
// and one closed definition per model type), decode it into the model with
// the schema's defaults filled in, merge all documents, and check names and
// references across the merged deployment. Problems in readable input come
// back as Issues (LB0001 schema violation, LB1001 missing reference, LB1002
// duplicate name) next to a Deployment holding everything that could be
// decoded; only unusable input (an unreadable file, a syntax error) is an
// error.
package schema
