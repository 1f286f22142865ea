import { Migration } from '@mikro-orm/migrations';

export class Migration20261124044008_initial extends Migration {
  override name = 'Migration20261124044008_initial';

  override up(): void {
    this.addSql(`create table \`admin_user\` (\`id\` int unsigned not null auto_increment primary key, \`username\` varchar(64) not null, \`password_hash\` varchar(255) not null, \`role\` varchar(16) not null, \`created_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`admin_user\` add unique \`admin_user_username_unique\` (\`username\`);`);
    this.addSql(`create table \`audit_log\` (\`id\` bigint unsigned not null auto_increment primary key, \`at\` datetime(3) not null, \`actor\` varchar(64) not null, \`action\` varchar(64) not null, \`charge_point\` varchar(48) null, \`request\` json not null, \`result\` json null, \`outcome\` varchar(32) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`audit_log\` add index \`audit_log_at_idx\` (\`at\`);`);
    this.addSql(`create table \`charge_point\` (\`id\` varchar(48) not null, \`vendor\` varchar(64) null, \`model\` varchar(64) null, \`serial_number\` varchar(64) null, \`charge_box_serial_number\` varchar(64) null, \`firmware_version\` varchar(64) null, \`iccid\` varchar(32) null, \`imsi\` varchar(32) null, \`meter_type\` varchar(64) null, \`meter_serial_number\` varchar(64) null, \`registration_status\` varchar(16) null, \`auth_key_hash\` varchar(255) null, \`security_profile\` int not null default 0, \`last_boot_at\` datetime(3) null, \`last_heartbeat_at\` datetime(3) null, \`last_seen_at\` datetime(3) null, \`diagnostics_status\` varchar(32) null, \`diagnostics_status_at\` datetime(3) null, \`firmware_status\` varchar(32) null, \`firmware_status_at\` datetime(3) null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`create table \`charging_profile\` (\`id\` int unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) null, \`connector_id\` int not null, \`charging_profile_id\` int not null, \`stack_level\` int not null, \`purpose\` varchar(32) not null, \`kind\` varchar(16) not null, \`recurrency_kind\` varchar(16) null, \`valid_from\` datetime(3) null, \`valid_to\` datetime(3) null, \`transaction_id\` int null, \`schedule\` json not null, \`status\` varchar(32) not null, \`created_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`charging_profile\` add index \`charging_profile_cp_conn_idx\` (\`charge_point_id\`, \`connector_id\`);`);
    this.addSql(`create table \`connector\` (\`id\` int unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) not null, \`connector_id\` int not null, \`status\` varchar(32) null, \`error_code\` varchar(50) null, \`info\` varchar(255) null, \`vendor_id\` varchar(255) null, \`vendor_error_code\` varchar(255) null, \`status_timestamp\` datetime(3) null, \`updated_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`connector\` add unique \`connector_cp_connector_unique\` (\`charge_point_id\`, \`connector_id\`);`);
    this.addSql(`create table \`device_event\` (\`id\` bigint unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) not null, \`kind\` varchar(64) not null, \`status\` varchar(64) null, \`payload\` json not null, \`received_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`device_event\` add index \`device_event_cp_received_idx\` (\`charge_point_id\`, \`received_at\`);`);
    this.addSql(`create table \`id_tag\` (\`id_tag\` varchar(20) not null, \`status\` varchar(16) not null, \`parent_id_tag\` varchar(20) null, \`expiry_date\` datetime(3) null, \`owner_name\` varchar(255) null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, primary key (\`id_tag\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`create table \`local_auth_list\` (\`charge_point_id\` varchar(48) not null, \`version\` int not null, \`status\` varchar(32) not null, \`synced_at\` datetime(3) null, primary key (\`charge_point_id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`create table \`orphan_message\` (\`id\` bigint unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) not null, \`action\` varchar(32) not null, \`claimed_transaction_id\` int null, \`reason\` varchar(255) not null, \`payload\` json not null, \`received_at\` datetime(3) not null, \`reviewed_at\` datetime(3) null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`orphan_message\` add index \`orphan_message_cp_received_idx\` (\`charge_point_id\`, \`received_at\`);`);
    this.addSql(`create table \`reservation\` (\`id\` int unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) not null, \`connector_id\` int not null, \`id_tag\` varchar(20) not null, \`parent_id_tag\` varchar(20) null, \`expiry_date\` datetime(3) not null, \`status\` varchar(32) not null, \`transaction_id\` int null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`reservation\` add index \`reservation_cp_conn_idx\` (\`charge_point_id\`, \`connector_id\`);`);
    this.addSql(`create table \`setting\` (\`key\` varchar(128) not null, \`value\` json not null, \`updated_at\` datetime(3) not null, primary key (\`key\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`create table \`status_event\` (\`id\` bigint unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) not null, \`connector_id\` int not null, \`status\` varchar(32) not null, \`error_code\` varchar(50) not null, \`info\` varchar(255) null, \`vendor_id\` varchar(255) null, \`vendor_error_code\` varchar(255) null, \`timestamp\` datetime(3) null, \`received_at\` datetime(3) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`status_event\` add index \`status_event_cp_received_idx\` (\`charge_point_id\`, \`received_at\`);`);
    this.addSql(`create table \`charge_transaction\` (\`id\` int unsigned not null auto_increment primary key, \`charge_point_id\` varchar(48) not null, \`connector_id\` int not null, \`id_tag\` varchar(20) not null, \`id_tag_status\` varchar(16) not null, \`parent_id_tag\` varchar(20) null, \`reservation_id\` int null, \`meter_start\` bigint not null, \`start_timestamp\` datetime(3) not null, \`start_received_at\` datetime(3) not null, \`meter_stop\` bigint null, \`stop_timestamp\` datetime(3) null, \`stop_received_at\` datetime(3) null, \`stop_reason\` varchar(32) null, \`stop_id_tag\` varchar(20) null, \`energy_wh\` bigint null, \`cost\` bigint null, \`flags\` json not null, \`status\` varchar(16) not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_cp_conn_status_idx\` (\`charge_point_id\`, \`connector_id\`, \`status\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_id_tag_idx\` (\`id_tag\`);`);
    this.addSql(`alter table \`charge_transaction\` add index \`charge_transaction_start_ts_idx\` (\`start_timestamp\`);`);
    this.addSql(`alter table \`charge_transaction\` add unique \`charge_transaction_start_idem_unique\` (\`charge_point_id\`, \`connector_id\`, \`id_tag\`, \`start_timestamp\`, \`meter_start\`);`);
    this.addSql(`create table \`meter_sample\` (\`id\` bigint unsigned not null auto_increment primary key, \`transaction_id\` int unsigned null, \`charge_point_id\` varchar(48) not null, \`connector_id\` int not null, \`timestamp\` datetime(3) not null, \`received_at\` datetime(3) not null, \`measurand\` varchar(64) not null, \`phase\` varchar(8) null, \`location\` varchar(8) null, \`context\` varchar(32) not null, \`unit\` varchar(16) not null, \`value\` double null, \`raw_value\` text null, \`format\` varchar(16) null, \`flags\` json null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_charge_point_id_index\` (\`charge_point_id\`);`);
    this.addSql(`alter table \`meter_sample\` add index \`meter_sample_tx_ts_idx\` (\`transaction_id\`, \`timestamp\`);`);
    this.addSql(`alter table \`charging_profile\` add constraint \`charging_profile_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`) on delete set null;`);
    this.addSql(`alter table \`connector\` add constraint \`connector_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
    this.addSql(`alter table \`device_event\` add constraint \`device_event_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
    this.addSql(`alter table \`local_auth_list\` add constraint \`local_auth_list_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`) on update cascade on delete cascade;`);
    this.addSql(`alter table \`orphan_message\` add constraint \`orphan_message_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
    this.addSql(`alter table \`reservation\` add constraint \`reservation_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
    this.addSql(`alter table \`status_event\` add constraint \`status_event_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
    this.addSql(`alter table \`charge_transaction\` add constraint \`charge_transaction_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
    this.addSql(`alter table \`meter_sample\` add constraint \`meter_sample_transaction_id_foreign\` foreign key (\`transaction_id\`) references \`charge_transaction\` (\`id\`) on delete cascade;`);
    this.addSql(`alter table \`meter_sample\` add constraint \`meter_sample_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`);`);
  }

  override down(): void {
    this.addSql(`alter table \`charging_profile\` drop foreign key \`charging_profile_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`connector\` drop foreign key \`connector_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`device_event\` drop foreign key \`device_event_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`local_auth_list\` drop foreign key \`local_auth_list_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`orphan_message\` drop foreign key \`orphan_message_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`reservation\` drop foreign key \`reservation_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`status_event\` drop foreign key \`status_event_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`charge_transaction\` drop foreign key \`charge_transaction_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`meter_sample\` drop foreign key \`meter_sample_charge_point_id_foreign\`;`);
    this.addSql(`alter table \`meter_sample\` drop foreign key \`meter_sample_transaction_id_foreign\`;`);
    this.addSql(`drop table if exists \`admin_user\`;`);
    this.addSql(`drop table if exists \`audit_log\`;`);
    this.addSql(`drop table if exists \`charge_point\`;`);
    this.addSql(`drop table if exists \`charging_profile\`;`);
    this.addSql(`drop table if exists \`connector\`;`);
    this.addSql(`drop table if exists \`device_event\`;`);
    this.addSql(`drop table if exists \`id_tag\`;`);
    this.addSql(`drop table if exists \`local_auth_list\`;`);
    this.addSql(`drop table if exists \`orphan_message\`;`);
    this.addSql(`drop table if exists \`reservation\`;`);
    this.addSql(`drop table if exists \`setting\`;`);
    this.addSql(`drop table if exists \`status_event\`;`);
    this.addSql(`drop table if exists \`charge_transaction\`;`);
    this.addSql(`drop table if exists \`meter_sample\`;`);
  }
}
