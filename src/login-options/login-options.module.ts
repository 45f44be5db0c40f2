import { Module } from '@nestjs/common';
import { LoginOptionsResolver } from './login-options.resolver';
import { LoginOptionsService } from './login-options.service';

/** The server-driven login screen: which methods each platform offers. */
@Module({ providers: [LoginOptionsService, LoginOptionsResolver], exports: [LoginOptionsService] })
export class LoginOptionsModule {}
