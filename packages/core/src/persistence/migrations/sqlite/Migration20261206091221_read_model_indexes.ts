import { Migration } from '@mikro-orm/migrations';

export class Migration20261206091221_read_model_indexes extends Migration {
  override name = 'Migration20261206091221_read_model_indexes';

  override up(): void {
    this.addSql(`create index \`audit_log_cp_at_idx\` on \`audit_log\` (\`charge_point\`, \`at\`);`);
    this.addSql(`create index \`charge_transaction_status_start_idx\` on \`charge_transaction\` (\`status\`, \`start_timestamp\`);`);
    this.addSql(`create index \`charge_transaction_id_tag_start_idx\` on \`charge_transaction\` (\`id_tag\`, \`start_timestamp\`);`);
    this.addSql(`create index \`charge_transaction_stop_ts_idx\` on \`charge_transaction\` (\`stop_timestamp\`);`);
    this.addSql(`create index \`charge_transaction_energy_idx\` on \`charge_transaction\` (\`energy_wh\`);`);
    this.addSql(`create index \`charge_transaction_cost_idx\` on \`charge_transaction\` (\`cost\`);`);
    this.addSql(`create index \`charge_transaction_start_stats_idx\` on \`charge_transaction\` (\`start_timestamp\`, \`status\`, \`energy_wh\`, \`cost\`);`);
    this.addSql(`create index \`charge_transaction_cp_start_stats_idx\` on \`charge_transaction\` (\`charge_point_id\`, \`start_timestamp\`, \`status\`, \`energy_wh\`, \`cost\`);`);
    this.addSql(`create index \`meter_sample_measurand_ts_idx\` on \`meter_sample\` (\`measurand\`, \`timestamp\`, \`charge_point_id\`, \`connector_id\`, \`phase\`, \`value\`);`);
    this.addSql(`create index \`meter_sample_tx_measurand_idx\` on \`meter_sample\` (\`transaction_id\`, \`measurand\`, \`value\`);`);
  }

  override down(): void {
    this.addSql(`drop index \`audit_log_cp_at_idx\`;`);
    this.addSql(`drop index \`charge_transaction_status_start_idx\`;`);
    this.addSql(`drop index \`charge_transaction_id_tag_start_idx\`;`);
    this.addSql(`drop index \`charge_transaction_stop_ts_idx\`;`);
    this.addSql(`drop index \`charge_transaction_energy_idx\`;`);
    this.addSql(`drop index \`charge_transaction_cost_idx\`;`);
    this.addSql(`drop index \`charge_transaction_start_stats_idx\`;`);
    this.addSql(`drop index \`charge_transaction_cp_start_stats_idx\`;`);
    this.addSql(`drop index \`meter_sample_measurand_ts_idx\`;`);
    this.addSql(`drop index \`meter_sample_tx_measurand_idx\`;`);
  }
}
