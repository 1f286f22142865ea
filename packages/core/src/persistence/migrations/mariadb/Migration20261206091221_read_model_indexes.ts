import { Migration } from '@mikro-orm/migrations';

export class Migration20261206091221_read_model_indexes extends Migration {
  override name = 'Migration20261206091221_read_model_indexes';

  override up(): void {
    this.addSql(`alter table \`audit_log\` add index \`audit_log_cp_at_idx\` (\`charge_point\`, \`at\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_status_start_idx\` (\`status\`, \`start_timestamp\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_id_tag_start_idx\` (\`id_tag\`, \`start_timestamp\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_stop_ts_idx\` (\`stop_timestamp\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_energy_idx\` (\`energy_wh\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_cost_idx\` (\`cost\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_start_stats_idx\` (\`start_timestamp\`, \`status\`, \`energy_wh\`, \`cost\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_cp_start_stats_idx\` (\`charge_point_id\`, \`start_timestamp\`, \`status\`, \`energy_wh\`, \`cost\`);`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_measurand_ts_idx\` (\`measurand\`, \`timestamp\`, \`charge_point_id\`, \`connector_id\`, \`phase\`, \`value\`);`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_tx_measurand_idx\` (\`transaction_id\`, \`measurand\`, \`value\`);`);
  }

  override down(): void {
    this.addSql(`alter table \`audit_log\` drop index \`audit_log_cp_at_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_status_start_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_id_tag_start_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_stop_ts_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_energy_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_cost_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_start_stats_idx\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_cp_start_stats_idx\`;`);
    this.addSql(`alter table \`meter_sample\` drop index \`meter_sample_measurand_ts_idx\`;`);
    this.addSql(`alter table \`meter_sample\` drop index \`meter_sample_tx_measurand_idx\`;`);
  }
}
