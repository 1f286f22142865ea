import { Migration } from '@mikro-orm/migrations';

export class Migration20261124050112_operations extends Migration {
  override name = 'Migration20261124050112_operations';

  override up(): void {
    this.addSql(`create table \`api_key\` (\`id\` int unsigned not null auto_increment primary key, \`name\` varchar(64) not null, \`prefix\` varchar(16) not null, \`key_hash\` varchar(255) not null, \`role\` varchar(16) not null, \`created_at\` datetime(3) not null, \`last_used_at\` datetime(3) null, \`revoked_at\` datetime(3) null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`api_key\` add unique \`api_key_name_unique\` (\`name\`);`);
    this.addSql(`alter table \`api_key\` add index \`api_key_prefix_index\` (\`prefix\`);`);
    this.addSql(`alter table \`charge_point\` add \`max_power_kw\` double null, add \`description\` varchar(255) null;`);
    this.addSql(`alter table \`local_auth_list\` add \`entries\` json null;`);
    this.addSql(`alter table \`charge_transaction\` add \`cost_breakdown\` json null;`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`api_key\`;`);
    this.addSql(`alter table \`charge_point\` drop column \`max_power_kw\`, drop column \`description\`;`);
    this.addSql(`alter table \`charge_transaction\` drop column \`cost_breakdown\`;`);
    this.addSql(`alter table \`local_auth_list\` drop column \`entries\`;`);
  }
}
