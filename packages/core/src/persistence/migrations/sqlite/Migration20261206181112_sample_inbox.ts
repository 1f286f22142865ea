import { Migration } from '@mikro-orm/migrations';

export class Migration20261206181112_sample_inbox extends Migration {
  override name = 'Migration20261206181112_sample_inbox';

  override up(): void {
    this.addSql(`create table \`meter_sample_inbox\` (\`id\` integer not null primary key autoincrement, \`transaction_id\` integer null, \`charge_point_id\` text not null, \`connector_id\` integer not null, \`timestamp\` datetime not null, \`received_at\` datetime not null, \`measurand\` text not null, \`phase\` text null, \`location\` text null, \`context\` text not null, \`unit\` text not null, \`value\` double null, \`raw_value\` text null, \`format\` text null, \`flags\` json null);`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`meter_sample_inbox\`;`);
  }
}
