module github.com/cinnox-rs/cinnox/bindings/go

go 1.19
