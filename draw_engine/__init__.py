"""fairdraw draw engine: registries, snapshots, beacons, the draw-v1 algorithm and the draw lifecycle."""
