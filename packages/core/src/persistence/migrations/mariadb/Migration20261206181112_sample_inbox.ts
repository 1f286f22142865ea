import { Migration } from '@mikro-orm/migrations';

export class Migration20261206181112_sample_inbox extends Migration {
  override name = 'Migration20261206181112_sample_inbox';

  override up(): void {
    this.addSql(`create table \`meter_sample_inbox\` (\`id\` bigint unsigned not null auto_increment primary key, \`transaction_id\` int unsigned null, \`charge_point_id\` varchar(48) not null, \`connector_id\` int not null, \`timestamp\` datetime(3) not null, \`received_at\` datetime(3) not null, \`measurand\` varchar(64) not null, \`phase\` varchar(8) null, \`location\` varchar(8) null, \`context\` varchar(32) not null, \`unit\` varchar(16) not null, \`value\` double null, \`raw_value\` text null, \`format\` varchar(16) null, \`flags\` json null) default character set utf8mb4 engine = InnoDB;`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`meter_sample_inbox\`;`);
  }
}
