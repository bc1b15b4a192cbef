"""Where benchmark resources come from: offline demo, synthetic, or HTTP downloads (Drive, archives, manifests).

May import formats/, workspace/ and the base modules (never tasks/, methods/ or plotting/).
"""
