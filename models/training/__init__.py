"""Training entry points, one module per `atelier train WHAT` (gan: the digits generator and its MLP baseline)."""
