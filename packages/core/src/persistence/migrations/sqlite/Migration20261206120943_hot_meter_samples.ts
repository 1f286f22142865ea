import { Migration } from '@mikro-orm/migrations';

export class Migration20261206120943_hot_meter_samples extends Migration {
  override name = 'Migration20261206120943_hot_meter_samples';

  override up(): void {
    this.addSql(`drop index \`meter_sample_tx_measurand_idx\`;`);
    this.addSql(`drop index \`meter_sample_tx_ts_idx\`;`);
    this.addSql(`drop index \`meter_sample_charge_point_id_index\`;`);
    this.addSql(`create index \`meter_sample_tx_measurand_ts_idx\` on \`meter_sample\` (\`transaction_id\`, \`measurand\`, \`timestamp\`, \`value\`);`);
  }

  override down(): void {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`meter_sample__temp_alter\` (\`id\` integer not null primary key autoincrement, \`transaction_id\` INTEGER null, \`charge_point_id\` TEXT not null, \`connector_id\` INTEGER not null, \`timestamp\` datetime not null, \`received_at\` datetime not null, \`measurand\` TEXT not null, \`phase\` TEXT null, \`location\` TEXT null, \`context\` TEXT not null, \`unit\` TEXT not null, \`value\` double null, \`raw_value\` TEXT null, \`format\` TEXT null, \`flags\` json null, constraint \`meter_sample_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`) on update no action on delete no action, constraint \`meter_sample_transaction_id_foreign\` foreign key (\`transaction_id\`) references \`charge_transaction\` (\`id\`) on update no action on delete cascade);`);
    this.addSql(`insert into \`meter_sample__temp_alter\` select \`id\`, \`transaction_id\`, \`charge_point_id\`, \`connector_id\`, \`timestamp\`, \`received_at\`, \`measurand\`, \`phase\`, \`location\`, \`context\`, \`unit\`, \`value\`, \`raw_value\`, \`format\`, \`flags\` from \`meter_sample\`;`);
    this.addSql(`drop table \`meter_sample\`;`);
    this.addSql(`alter table \`meter_sample__temp_alter\` rename to \`meter_sample\`;`);
    this.addSql(`create index \`meter_sample_tx_measurand_idx\` on \`meter_sample\` (\`transaction_id\`, \`measurand\`, \`value\`);`);
    this.addSql(`create index \`meter_sample_measurand_ts_idx\` on \`meter_sample\` (\`measurand\`, \`timestamp\`, \`charge_point_id\`, \`connector_id\`, \`phase\`, \`value\`);`);
    this.addSql(`create index \`meter_sample_tx_ts_idx\` on \`meter_sample\` (\`transaction_id\`, \`timestamp\`);`);
    this.addSql(`create index \`meter_sample_charge_point_id_index\` on \`meter_sample\` (\`charge_point_id\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }
}
