/** A card tapped on a reader. */
export interface CardPresentation {
  idTag: string;
  /** Connector the reader belongs to; omitted for a reader shared by all connectors. */
  connectorId?: number;
  /** Which reader saw it (plugin name, 'stdin', 'simulated', ...). */
  source: string;
}

/** What the runtime did with a card. */
export interface CardOutcome {
  result: 'started' | 'stopped' | 'refused' | 'ignored';
  connectorId?: number;
  reason?: string;
}
