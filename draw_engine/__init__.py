"""fairdraw draw engine: registries, snapshots, beacons, draw-v1 and the draw lifecycle."""
