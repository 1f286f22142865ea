import { Migration } from '@mikro-orm/migrations';

export class Migration20261206095108_integrator_api extends Migration {
  override name = 'Migration20261206095108_integrator_api';

  override up(): void {
    this.addSql(`create table \`charging_profile_template\` (\`id\` int unsigned not null auto_increment primary key, \`name\` varchar(64) not null, \`description\` varchar(255) null, \`stack_level\` int not null, \`purpose\` varchar(32) not null, \`kind\` varchar(16) not null, \`recurrency_kind\` varchar(16) null, \`valid_from\` datetime(3) null, \`valid_to\` datetime(3) null, \`schedule\` json not null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`charging_profile_template\` add unique \`charging_profile_template_name_unique\` (\`name\`);`);
    this.addSql(`alter table \`local_auth_list\` add \`auto_sync\` tinyint(1) not null default true;`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_start_received_idx\` (\`start_received_at\`);`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`charging_profile_template\`;`);
    this.addSql(`alter table \`charge_transaction\` drop index \`charge_transaction_start_received_idx\`;`);
    this.addSql(`alter table \`local_auth_list\` drop column \`auto_sync\`;`);
  }
}
