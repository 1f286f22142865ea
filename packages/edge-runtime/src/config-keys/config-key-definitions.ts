/**
 * The configuration keys the runtime knows (OCPP 1.6 §9.1–9.4: Core, Local Auth List Management,
 * Reservation, Smart Charging), with type, access and validation. Values are kept as OCPP strings.
 */
export type ConfigKeyType = 'boolean' | 'integer' | 'csl';

export interface ConfigKeyDefinition {
  readonly key: string;
  readonly type: ConfigKeyType;
  readonly readonly: boolean;
  readonly defaultValue: string;
  /** Integers: smallest accepted value. */
  readonly min?: number;
  /** CSL keys: the accepted members (anything else → Rejected). */
  readonly allowed?: readonly string[];
  /** CSL keys: the key holding the maximum number of members. */
  readonly maxLengthKey?: string;
  /** Changing it needs a reboot to take effect (ChangeConfiguration answers RebootRequired). */
  readonly rebootRequired?: boolean;
}

/** Measurands the runtime can produce (when the meter reports them); others are rejected (S16 §3.16.4). */
export const SUPPORTED_MEASURANDS = [
  'Energy.Active.Import.Register',
  'Energy.Active.Import.Interval',
  'Power.Active.Import',
  'Power.Offered',
  'Current.Import',
  'Current.Offered',
  'Voltage',
  'Frequency',
  'Temperature',
  'SoC',
] as const;

const MEASURAND_KEY = { type: 'csl', readonly: false, allowed: SUPPORTED_MEASURANDS } as const;

export function configKeyDefinitions(numberOfConnectors: number): ConfigKeyDefinition[] {
  return [
    // Core profile
    { key: 'AllowOfflineTxForUnknownId', type: 'boolean', readonly: false, defaultValue: 'false' },
    { key: 'AuthorizationCacheEnabled', type: 'boolean', readonly: false, defaultValue: 'true' },
    { key: 'AuthorizeRemoteTxRequests', type: 'boolean', readonly: false, defaultValue: 'false' },
    { key: 'BlinkRepeat', type: 'integer', readonly: false, defaultValue: '3', min: 0 },
    { key: 'ClockAlignedDataInterval', type: 'integer', readonly: false, defaultValue: '0', min: 0 },
    { key: 'ConnectionTimeOut', type: 'integer', readonly: false, defaultValue: '60', min: 1 },
    {
      key: 'ConnectorPhaseRotation',
      type: 'csl',
      readonly: false,
      defaultValue: Array.from({ length: numberOfConnectors + 1 }, (_, i) => `${i}.Unknown`).join(','),
      maxLengthKey: 'ConnectorPhaseRotationMaxLength',
    },
    { key: 'ConnectorPhaseRotationMaxLength', type: 'integer', readonly: true, defaultValue: String(numberOfConnectors + 1) },
    { key: 'GetConfigurationMaxKeys', type: 'integer', readonly: true, defaultValue: '100' },
    { key: 'HeartbeatInterval', type: 'integer', readonly: false, defaultValue: '300', min: 0 },
    { key: 'LightIntensity', type: 'integer', readonly: false, defaultValue: '100', min: 0 },
    { key: 'LocalAuthorizeOffline', type: 'boolean', readonly: false, defaultValue: 'true' },
    { key: 'LocalPreAuthorize', type: 'boolean', readonly: false, defaultValue: 'false' },
    { key: 'MaxEnergyOnInvalidId', type: 'integer', readonly: false, defaultValue: '0', min: 0 },
    { key: 'MeterValuesAlignedData', ...MEASURAND_KEY, defaultValue: 'Energy.Active.Import.Register', maxLengthKey: 'MeterValuesAlignedDataMaxLength' },
    { key: 'MeterValuesAlignedDataMaxLength', type: 'integer', readonly: true, defaultValue: String(SUPPORTED_MEASURANDS.length) },
    {
      key: 'MeterValuesSampledData',
      ...MEASURAND_KEY,
      defaultValue: 'Energy.Active.Import.Register,Power.Active.Import',
      maxLengthKey: 'MeterValuesSampledDataMaxLength',
    },
    { key: 'MeterValuesSampledDataMaxLength', type: 'integer', readonly: true, defaultValue: String(SUPPORTED_MEASURANDS.length) },
    { key: 'MeterValueSampleInterval', type: 'integer', readonly: false, defaultValue: '60', min: 0 },
    { key: 'MinimumStatusDuration', type: 'integer', readonly: false, defaultValue: '0', min: 0 },
    { key: 'NumberOfConnectors', type: 'integer', readonly: true, defaultValue: String(numberOfConnectors) },
    { key: 'ResetRetries', type: 'integer', readonly: false, defaultValue: '1', min: 0 },
    { key: 'StopTransactionOnEVSideDisconnect', type: 'boolean', readonly: false, defaultValue: 'true' },
    { key: 'StopTransactionOnInvalidId', type: 'boolean', readonly: false, defaultValue: 'true' },
    { key: 'StopTxnAlignedData', ...MEASURAND_KEY, defaultValue: '', maxLengthKey: 'StopTxnAlignedDataMaxLength' },
    { key: 'StopTxnAlignedDataMaxLength', type: 'integer', readonly: true, defaultValue: String(SUPPORTED_MEASURANDS.length) },
    { key: 'StopTxnSampledData', ...MEASURAND_KEY, defaultValue: 'Energy.Active.Import.Register', maxLengthKey: 'StopTxnSampledDataMaxLength' },
    { key: 'StopTxnSampledDataMaxLength', type: 'integer', readonly: true, defaultValue: String(SUPPORTED_MEASURANDS.length) },
    {
      key: 'SupportedFeatureProfiles',
      type: 'csl',
      readonly: true,
      defaultValue: 'Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger',
    },
    { key: 'SupportedFeatureProfilesMaxLength', type: 'integer', readonly: true, defaultValue: '6' },
    { key: 'TransactionMessageAttempts', type: 'integer', readonly: false, defaultValue: '3', min: 1 },
    { key: 'TransactionMessageRetryInterval', type: 'integer', readonly: false, defaultValue: '60', min: 0 },
    { key: 'UnlockConnectorOnEVSideDisconnect', type: 'boolean', readonly: false, defaultValue: 'true' },
    { key: 'WebSocketPingInterval', type: 'integer', readonly: false, defaultValue: '60', min: 0 },
    // Local Auth List Management profile
    { key: 'LocalAuthListEnabled', type: 'boolean', readonly: false, defaultValue: 'true' },
    { key: 'LocalAuthListMaxLength', type: 'integer', readonly: true, defaultValue: '1000' },
    { key: 'SendLocalListMaxLength', type: 'integer', readonly: true, defaultValue: '250' },
    // Reservation profile
    { key: 'ReserveConnectorZeroSupported', type: 'boolean', readonly: true, defaultValue: 'true' },
    // Smart Charging profile
    { key: 'ChargeProfileMaxStackLevel', type: 'integer', readonly: true, defaultValue: '8' },
    { key: 'ChargingScheduleAllowedChargingRateUnit', type: 'csl', readonly: true, defaultValue: 'Current,Power' },
    { key: 'ChargingScheduleMaxPeriods', type: 'integer', readonly: true, defaultValue: '24' },
    { key: 'ConnectorSwitch3to1PhaseSupported', type: 'boolean', readonly: true, defaultValue: 'false' },
    { key: 'MaxChargingProfilesInstalled', type: 'integer', readonly: true, defaultValue: '16' },
    // Authorization cache size (vendor key, read-only): not in the spec, documented in docs/runtime.md.
    { key: 'AuthorizationCacheMaxLength', type: 'integer', readonly: true, defaultValue: '500' },
  ];
}
