import { Migration } from '@mikro-orm/migrations';

export class Migration20261124050112_operations extends Migration {
  override name = 'Migration20261124050112_operations';

  override up(): void {
    this.addSql(`create table \`api_key\` (\`id\` integer not null primary key autoincrement, \`name\` text not null, \`prefix\` text not null, \`key_hash\` text not null, \`role\` text not null, \`created_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null);`);
    this.addSql(`create unique index \`api_key_name_unique\` on \`api_key\` (\`name\`);`);
    this.addSql(`create index \`api_key_prefix_index\` on \`api_key\` (\`prefix\`);`);
    this.addSql(`alter table \`charge_point\` add column \`max_power_kw\` double null;`);
    this.addSql(`alter table \`charge_point\` add column \`description\` text null;`);
    this.addSql(`alter table \`local_auth_list\` add column \`entries\` json null;`);
    this.addSql(`alter table \`charge_transaction\` add column \`cost_breakdown\` json null;`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`api_key\`;`);
    this.addSql(`alter table \`charge_point\` drop column \`max_power_kw\`;`);
    this.addSql(`alter table \`charge_point\` drop column \`description\`;`);
    this.addSql(`alter table \`charge_transaction\` drop column \`cost_breakdown\`;`);
    this.addSql(`alter table \`local_auth_list\` drop column \`entries\`;`);
  }
}
