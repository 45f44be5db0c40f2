import { Query, Resolver } from '@nestjs/graphql';
import { SignedIn } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import type { AuthenticatedCaller } from '../sessions/sessions.service';
import { PersonalData } from './models/personal-data.model';
import { PersonalDataService } from './personal-data.service';

@Resolver(() => PersonalData)
export class PersonalDataResolver {
  constructor(private readonly personalData: PersonalDataService) {}

  @SignedIn()
  @Query(() => PersonalData, {
    description: 'What this service holds about the caller, and which third party received each item.',
  })
  myPersonalData(@CurrentCaller() caller: AuthenticatedCaller): Promise<PersonalData> {
    return this.personalData.of(caller.userId);
  }
}
