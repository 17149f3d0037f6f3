using System;
using System.Threading;

namespace SingleFlight;

public sealed partial class SingleFlightGroup<TKey, TValue>
{
    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/> on the calling thread, or blocks until the
    /// flight already running for an equal key ends and returns its result.
    /// </summary>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="work">The work.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the work of the flight for the same key, on the same thread.
    /// </exception>
    /// <remarks>
    /// A blocking caller that joins a flight started by <c>DoAsync</c> blocks its thread until that
    /// asynchronous work ends. Use one path per key.
    /// </remarks>
    public TValue Do(TKey key, Func<TValue> work)
    {
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return Do(key, work, static w => w());
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> for <paramref name="key"/> on the calling
    /// thread, or blocks until the flight already running for an equal key ends and returns its result.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> when this caller leads the flight.</param>
    /// <param name="work">The work.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the work of the flight for the same key, on the same thread.
    /// </exception>
    public TValue Do<TState>(TKey key, TState state, Func<TState, TValue> work)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));

        var hash = GetHash(key);
        while (true)
        {
            var existing = FindOrAdd(key, hash, cancellable: false, out var flight);
            if (existing is not null)
            {
                if (ReentrancyGuard.IsRunningOnThisThread(existing))
                {
                    throw ReentrancyGuard.CreateException(key);
                }

                if (existing.TryJoin(cancellable: false))
                {
                    JoinedHook?.Invoke(key);
                    return WaitBlocking(existing);
                }

                if (existing.IsKept)
                {
                    return ReuseOrDo(existing, key, state, work);
                }

                RemoveIfPresent(existing);
                continue;
            }

            var lifetime = _lifetime;
            if (lifetime is not null)
            {
                return LeadBlocking(flight, state, work, lifetime);
            }

            TValue result;
            var observation = SingleFlightTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
            flight.Span = observation.Activity;
            var outer = ReentrancyGuard.Enter(flight);
            try
            {
                result = work(state);
            }
            catch (Exception ex)
            {
                observation.End(ex);
                flight.Fail(this, ex);
                SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Faulted, ex);
                throw;
            }
            finally
            {
                ReentrancyGuard.Exit(outer);
            }

            observation.End(null);
            flight.SucceedAtOnce(this, result);
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
            return result;
        }
    }

    /// <summary>A blocking caller found an entry kept for the share window: its value while the window is open, else a new call.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private TValue ReuseOrDo<TState>(Flight kept, TKey key, TState state, Func<TState, TValue> work)
    {
        if (kept.TryTakeKept(out var value))
        {
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Reused);
            return value;
        }

        RemoveIfPresent(kept);
        return Do(key, state, work);
    }

    /// <summary>
    /// A blocking leader in a group with a deadline or a share window. Its thread cannot be interrupted: when the
    /// deadline passes, its joiners are released with the deadline's exception, and it receives the same exception once
    /// its work returns (one flight, one outcome).
    /// </summary>
    private TValue LeadBlocking<TState>(Flight flight, TState state, Func<TState, TValue> work, Lifetime lifetime)
    {
        TValue result;
        var observation = SingleFlightTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
        flight.Span = observation.Activity;
        var lifespan = flight.StartLifetime(this, lifetime, withToken: false);
        var outer = ReentrancyGuard.Enter(flight);
        try
        {
            result = work(state);
        }
        catch (Exception ex)
        {
            observation.End(ex);
            if (flight.Fail(this, ex, lifespan))
            {
                SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Faulted, ex);
                throw;
            }

            return DeadlineExceededBlocking(flight);
        }
        finally
        {
            ReentrancyGuard.Exit(outer);
        }

        observation.End(null);
        if (flight.Succeed(this, result, lifespan))
        {
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
            return result;
        }

        return DeadlineExceededBlocking(flight);
    }

    /// <summary>The deadline passed before the blocking leader's work returned: the same exception object as every joiner's.</summary>
    private TValue DeadlineExceededBlocking(Flight flight)
    {
        SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.DeadlineExceeded);
        return flight.GetCompletion().Task.GetAwaiter().GetResult();
    }

    private TValue WaitBlocking(Flight flight)
    {
        var completion = flight.GetCompletion().Task;
        if (!SingleFlightTelemetry.JoinObserved)
        {
            // GetResult rethrows the leader's exception object itself, with its stack trace.
            return completion.GetAwaiter().GetResult();
        }

        var observation = WaitObservation.Begin(Name, flight.Span, led: false);
        try
        {
            var value = completion.GetAwaiter().GetResult();
            observation.End(null, CancellationToken.None);
            return value;
        }
        catch (Exception ex)
        {
            observation.End(ex, CancellationToken.None);
            throw;
        }
    }
}
