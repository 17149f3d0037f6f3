using System;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

public sealed partial class SingleFlightGroup<TKey, TValue>
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
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Cancelled);
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

                FoundHook?.Invoke(key);
                if (existing.TryJoin(cancellationToken.CanBeCanceled))
                {
                    JoinedHook?.Invoke(key);
                    shared = true;
                    return Wait(existing, cancellationToken, led: false);
                }

                // A value kept for the share window: out of line, so that groups without one keep this method as it was.
                if (existing.IsKept)
                {
                    return ReuseOrStart(existing, key, state, work, cancellationToken, out shared);
                }

                // The flight ended (or every caller left it) and is on its way out of the map: help it out,
                // then start a new one.
                RemoveIfPresent(existing);
                continue;
            }

            return Lead(flight, state, work, cancellationToken);
        }
    }

    /// <summary>
    /// A caller found an entry kept for the share window: takes its value if the window is still open; otherwise helps
    /// the entry out of the map and starts over.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ValueTask<TValue> ReuseOrStart<TState>(
        Flight kept,
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        out bool shared)
    {
        if (kept.TryTakeKept(out var value))
        {
            shared = true;
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Reused);
            return new ValueTask<TValue>(value);
        }

        RemoveIfPresent(kept);
        return Start(key, state, work, cancellationToken, out shared);
    }

    private ValueTask<TValue> Lead<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken)
    {
        // A deadline or a share window takes the other path: without them, this is the leader as it was before them.
        var lifetime = _lifetime;
        if (lifetime is not null)
        {
            return LeadWithLifetime(flight, state, work, cancellationToken, lifetime);
        }

        // A listener takes the observed path, out of line: this body then has no observation to carry, begin, end or
        // record (issue 19: those checks and calls were a tenth of the uncontended call).
        if (SingleFlightTelemetry.FlightObserved)
        {
            return LeadObserved(flight, state, work, cancellationToken);
        }

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
        }

        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            flight.SucceedAtOnce(this, result);
            return new ValueTask<TValue>(result);
        }

        flight.ExpectWaiters();
        _ = CompleteAsync(this, flight, pending, default);
        return Wait(flight, cancellationToken, led: true);
    }

    /// <summary><see cref="Lead"/> while a listener observes flights (metrics or traces).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ValueTask<TValue> LeadObserved<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken)
    {
        var observation = FlightObservation.Begin(Name);
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
            flight.SucceedAtOnce(this, result);
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
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

    /// <summary><see cref="Lead"/> for a group with a deadline or a share window (rules 10 and 11).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ValueTask<TValue> LeadWithLifetime<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        Lifetime lifetime)
    {
        var observation = SingleFlightTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
        flight.Span = observation.Activity;
        var lifespan = flight.StartLifetime(this, lifetime, withToken: true);

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
            if (!flight.Succeed(this, result, lifespan))
            {
                // The deadline passed while the work ran synchronously: the completion holds its exception.
                return Wait(flight, cancellationToken, led: true);
            }

            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
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
        SingleFlightGroup<TKey, TValue> owner,
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
            if (flight.Lifespan is { } failed)
            {
                flight.Fail(owner, ex, failed);
            }
            else
            {
                flight.Fail(owner, ex);
            }

            return;
        }

        observation.End(null);
        if (flight.Lifespan is { } lifespan)
        {
            flight.Succeed(owner, result, lifespan);
        }
        else
        {
            flight.Succeed(owner, result);
        }
    }

    private ValueTask<TValue> Wait(Flight flight, CancellationToken cancellationToken, bool led)
    {
        var completion = flight.GetCompletion();
        var wait = !cancellationToken.CanBeCanceled || completion.Task.IsCompleted
            ? new ValueTask<TValue>(completion.Task)
            : new ValueTask<TValue>(CancellableWaiter.Start(this, flight, completion, cancellationToken));

        return SingleFlightTelemetry.JoinObserved
            ? new ValueTask<TValue>(ObservedWait.Start(wait.AsTask(), Name, flight.Span, led, cancellationToken))
            : wait;
    }
}
