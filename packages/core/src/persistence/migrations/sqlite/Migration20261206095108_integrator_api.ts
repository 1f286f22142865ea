import { Migration } from '@mikro-orm/migrations';

export class Migration20261206095108_integrator_api extends Migration {
  override name = 'Migration20261206095108_integrator_api';

  override up(): void {
    this.addSql(`create table \`charging_profile_template\` (\`id\` integer not null primary key autoincrement, \`name\` text not null, \`description\` text null, \`stack_level\` integer not null, \`purpose\` text not null, \`kind\` text not null, \`recurrency_kind\` text null, \`valid_from\` datetime null, \`valid_to\` datetime null, \`schedule\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create unique index \`charging_profile_template_name_unique\` on \`charging_profile_template\` (\`name\`);`);
    this.addSql(`alter table \`local_auth_list\` add column \`auto_sync\` integer not null default true;`);
    this.addSql(`create index \`charge_transaction_start_received_idx\` on \`charge_transaction\` (\`start_received_at\`);`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`charging_profile_template\`;`);
    this.addSql(`drop index \`charge_transaction_start_received_idx\`;`);
    this.addSql(`alter table \`local_auth_list\` drop column \`auto_sync\`;`);
  }
}
