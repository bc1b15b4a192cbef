"""Where benchmark resources come from: offline demo, synthetic, or HTTP downloads."""
