import { Migration } from '@mikro-orm/migrations';

export class Migration20261206120943_hot_meter_samples extends Migration {
  override name = 'Migration20261206120943_hot_meter_samples';

  override up(): void {
    // The new index first: InnoDB needs an index starting with transaction_id for its foreign key.
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_tx_measurand_ts_idx\` (\`transaction_id\`, \`measurand\`, \`timestamp\`, \`value\`);`);
    this.addSql(`alter table \`meter_sample\` drop foreign key \`meter_sample_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`meter_sample\` drop index \`meter_sample_charge_point_id_index\`;`);
    this.addSql(`alter table \`meter_sample\` drop index \`meter_sample_tx_measurand_idx\`;`);
    this.addSql(`alter table \`meter_sample\` drop index \`meter_sample_tx_ts_idx\`;`);
  }

  override down(): void {
    this.addSql(`alter table \`meter_sample\` drop index \`meter_sample_tx_measurand_ts_idx\`;`);
    this.addSql(`alter table \`meter_sample\` add constraint \`meter_sample_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`) on update restrict on delete restrict;`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_charge_point_id_index\` (\`charge_point_id\`);`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_tx_measurand_idx\` (\`transaction_id\`, \`measurand\`, \`value\`);`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_tx_ts_idx\` (\`transaction_id\`, \`timestamp\`);`);
  }
}
