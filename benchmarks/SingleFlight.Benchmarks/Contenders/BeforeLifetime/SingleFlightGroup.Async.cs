// A frozen copy of src/Runtime as it was on main before issue 17 (the deadline and the share window): the group's hot
// path, its telemetry hooks and helpers, renamed. It runs side by side with the current runtime in the same
// BenchmarkDotNet run (scenario (a)), so "without the options, nothing got slower" is measured under one machine load.
// Not maintained: benchmark use only.
using System;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders.BeforeLifetime;

public sealed partial class BeforeLifetimeGroup<TKey, TValue>
{
    private ValueTask<TValue> Start<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        out bool shared)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));
        shared = false;

        if (cancellationToken.IsCancellationRequested)
        {
            BeforeLifetimeTelemetry.RecordCall(Name, BeforeLifetimeTelemetry.Cancelled);
            return new ValueTask<TValue>(Task.FromCanceled<TValue>(cancellationToken));
        }

        var hash = GetHash(key);
        while (true)
        {
            var existing = FindOrAdd(key, hash, cancellationToken.CanBeCanceled, out var flight);
            if (existing is not null)
            {
                if (ReentrancyGuard.IsRunningOnThisThread(existing))
                {
                    return new ValueTask<TValue>(Task.FromException<TValue>(ReentrancyGuard.CreateException(key)));
                }

                if (existing.TryJoin(cancellationToken.CanBeCanceled))
                {
                    JoinedHook?.Invoke(key);
                    shared = true;
                    return Wait(existing, cancellationToken, led: false);
                }

                // The flight ended (or every caller left it) and is on its way out of the map: help it out,
                // then start a new one.
                RemoveIfPresent(existing);
                continue;
            }

            return Lead(flight, state, work, cancellationToken);
        }
    }

    private ValueTask<TValue> Lead<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken)
    {
        var observation = BeforeLifetimeTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
        flight.Span = observation.Activity;

        ValueTask<TValue> pending;
        var outer = ReentrancyGuard.Enter(flight);
        try
        {
            pending = work(state, flight.WorkToken);
        }
        catch (Exception ex)
        {
            // A synchronous throw is the same failure as an asynchronous one: shared, then forgotten.
            pending = new ValueTask<TValue>(Task.FromException<TValue>(ex));
        }
        finally
        {
            ReentrancyGuard.Exit(outer);
            observation.WorkInvoked();
        }

        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            observation.End(null);
            flight.Succeed(this, result);
            BeforeLifetimeTelemetry.RecordCall(Name, BeforeLifetimeTelemetry.Led);
            return new ValueTask<TValue>(result);
        }

        // The leader waits on the flight's completion like a joiner, whether or not its token can cancel: every
        // caller then observes one task's outcome (rule 9). Awaiting the work in an async helper and returning the
        // helper's task would not do: an async method that ends with an OperationCanceledException the work threw
        // on its own completes as Canceled, while the completion (and so every joiner) is Faulted with it.
        flight.ExpectWaiters();
        _ = CompleteAsync(this, flight, pending, observation);
        return Wait(flight, cancellationToken, led: true);
    }

    // Awaits the work and publishes its outcome to the flight's completion. Nobody awaits the helper itself: callers
    // only ever see the completion's task, so no misuse of a caller's ValueTask can touch the helper's state.
    private static async ValueTask CompleteAsync(
        BeforeLifetimeGroup<TKey, TValue> owner,
        Flight flight,
        ValueTask<TValue> pending,
        FlightObservation observation)
    {
        TValue result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Every caller, the leader included, receives the exception through the flight's completion.
            observation.End(ex);
            flight.Fail(owner, ex);
            return;
        }

        observation.End(null);
        flight.Succeed(owner, result);
    }

    private ValueTask<TValue> Wait(Flight flight, CancellationToken cancellationToken, bool led)
    {
        var completion = flight.GetCompletion();
        var wait = !cancellationToken.CanBeCanceled || completion.Task.IsCompleted
            ? new ValueTask<TValue>(completion.Task)
            : new ValueTask<TValue>(CancellableWaiter.Start(this, flight, completion, cancellationToken));

        return BeforeLifetimeTelemetry.JoinObserved
            ? new ValueTask<TValue>(ObservedWait.Start(wait.AsTask(), Name, flight.Span, led, cancellationToken))
            : wait;
    }
}
