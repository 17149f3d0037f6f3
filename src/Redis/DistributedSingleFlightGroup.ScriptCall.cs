using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    // Idle script calls of this group: a process that runs one flight after another allocates none (see ScriptCall).
    private readonly ScriptCall?[] _idleCalls = new ScriptCall?[4];

    private ScriptCall RentCall()
    {
        for (var i = 0; i < _idleCalls.Length; i++)
        {
            if (Interlocked.Exchange(ref _idleCalls[i], null) is { } call)
            {
                return call;
            }
        }

        return new ScriptCall(this);
    }

    private void ReturnCall(ScriptCall call)
    {
        for (var i = 0; i < _idleCalls.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _idleCalls[i], call, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>What a script call does with a reply that comes after its caller stopped waiting for it.</summary>
    private enum LateReply
    {
        /// <summary>An election: if it took the key, give the key back.</summary>
        ReleaseIfWon,

        /// <summary>A completion: its <see cref="SentCompletion"/> sees how it ended (as it does with a reply in time).</summary>
        Observe,
    }

    /// <summary>
    /// One election or completion script of a flight, sent by hash (by text after a <c>NOSCRIPT</c>), and its reply
    /// awaited for at most <see cref="DistributedSingleFlightOptions.RedisTimeout"/>. What <c>Task.WaitAsync</c> and fresh
    /// arrays would allocate per call (a promise task, a timer, the key and argument arrays) is owned by the instance and
    /// reused: it goes back to its group once the reply has come and the awaiting flight has read the outcome. A reply
    /// that comes after the time-out is handled here (<see cref="LateReply"/>), and returns the instance only then.
    /// </summary>
    private sealed class ScriptCall : IValueTaskSource<RedisResult>
    {
        private const int Idle = 0;
        private const int Waiting = 1;
        private const int Answered = 2;
        private const int TimedOut = 3;

        private readonly DistributedSingleFlightGroup<TKey, TValue> _group;
        private readonly Action _onReply;
        private readonly Timer _timer;
        private readonly RedisKey[] _oneKey = new RedisKey[1];
        private readonly RedisKey[] _threeKeys = new RedisKey[3];
        private readonly RedisValue[] _twoValues = new RedisValue[2];
        private readonly RedisValue[] _fiveValues = new RedisValue[5];
        private readonly PayloadBuffer _payload = new();
        private ManualResetValueTaskSourceCore<RedisResult> _core;
        private System.Text.Json.Utf8JsonWriter? _json;

        // One use: what is sent, where, and what to do with a late reply. Guarded by the instance's lock: _state,
        // _replied (the last reply has been handled, late or not) and _read (the caller has the outcome).
        private FlightScript _script = null!;
        private RedisKey[] _keys = null!;
        private RedisValue[] _values = null!;
        private IDatabase _db = null!;
        private Task<RedisResult>? _sent;
#if NET8_0_OR_GREATER
        private ValueTask _relay;
#endif
        private bool _byText;
        private long _deadline;
        private LateReply _late;
        private FlightKeys _flight;
        private string _token = null!;
        private SentCompletion? _completion;
        private int _state;
        private bool _replied;
        private bool _read;

        public ScriptCall(DistributedSingleFlightGroup<TKey, TValue> group)
        {
            _group = group;
            _onReply = OnReply;

            // The timer would otherwise capture the execution context (async locals) of the flight that created it,
            // and keep it for the life of the instance.
            if (ExecutionContext.IsFlowSuppressed())
            {
                _timer = NewTimer();
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _timer = NewTimer();
                }
            }
        }

        private Timer NewTimer() => new(static s => ((ScriptCall)s!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);

        /// <summary>Makes this call the election of <paramref name="token"/> for <paramref name="flight"/>'s key.</summary>
        public ScriptCall Election(FlightKeys flight, string token, TimeSpan lease)
        {
            _script = FlightScripts.Election;
            _keys = _oneKey;
            _values = _twoValues;
            FlightScripts.AcquireArguments(_keys, _values, flight, token, lease);
            _late = LateReply.ReleaseIfWon;
            _flight = flight;
            _token = token;
            return this;
        }

        /// <summary>
        /// Writes a value's payload into this call's own buffer, which the completion sends from; valid until the call
        /// goes back to its group (after the reply).
        /// </summary>
        public ReadOnlyMemory<byte> WriteValue(TValue value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo, byte[] contract)
            => ResultPayload.WriteValue(_payload, _json ??= new System.Text.Json.Utf8JsonWriter(_payload), value, jsonTypeInfo, contract);

        /// <summary>Makes this call the completion of <paramref name="token"/>'s flight, observed by <paramref name="completion"/>.</summary>
        public ScriptCall Completion(FlightKeys flight, string token, ReadOnlyMemory<byte> payload, SentCompletion completion)
        {
            _script = FlightScripts.Completion;
            _keys = _threeKeys;
            _values = _fiveValues;
            FlightScripts.CompleteArguments(_keys, _values, flight, token, payload, _group._options.ResultTimeToLive, _group._channelName);
            _late = LateReply.Observe;
            _flight = flight;
            _token = token;
            _completion = completion;
            return this;
        }

        /// <summary>
        /// Sends the script and returns its reply, or <see cref="TimeoutException"/> after <paramref name="timeout"/>. What
        /// StackExchange.Redis throws while sending is thrown here (and the instance goes back to its group).
        /// </summary>
        public ValueTask<RedisResult> SendAsync(IDatabase db, TimeSpan timeout)
        {
            Task<RedisResult> sent;
            try
            {
                sent = _script.Evaluate(db, _keys, _values, byText: false);
            }
            catch (Exception)
            {
                Recycle();
                throw;
            }

            _db = db;
            _deadline = Stopwatch.GetTimestamp() + (long)(timeout.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
            lock (this)
            {
                _state = Waiting;
            }

            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
            Watch(sent);
            return new ValueTask<RedisResult>(this, _core.Version);
        }

        private void Watch(Task<RedisResult> sent)
        {
            _sent = sent;
            if (sent.IsCompleted)
            {
                OnReply();
                return;
            }

#if NET8_0_OR_GREATER
            // Told through a pooled relay: a plain Action on StackExchange.Redis's task (whose continuations run
            // asynchronously) costs a work item per reply; the relay's pooled state machine is queued as it is.
            var relay = RelayAsync(sent);
            _relay = relay;
            if (relay.IsCompleted)
            {
                // OnReply reads the relay, which returns its state machine to the pool.
                OnReply();
                return;
            }

            relay.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onReply);
#else
            sent.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onReply);
#endif
        }

#if NET8_0_OR_GREATER
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private static async ValueTask RelayAsync(Task sent) => await sent.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
#endif

        private void OnReply()
        {
#if NET8_0_OR_GREATER
            // Read once, which returns the relay's state machine to its pool; it never throws (SuppressThrowing).
            var relay = _relay;
            _relay = default;
            relay.GetAwaiter().GetResult();
#endif
            var sent = _sent!;
            var error = sent.Status switch
            {
                TaskStatus.RanToCompletion => null,
                TaskStatus.Faulted => sent.Exception!.InnerException ?? sent.Exception,
                _ => new TaskCanceledException(sent),
            };

            if (error is not null && !_byText && FlightScripts.IsNoScript(error))
            {
                // The server does not know the script (restarted, failed over, SCRIPT FLUSH): it did not run. While the
                // caller still waits, send it again by text, which also loads it there. After the time-out, a completion
                // must not land late with its outcome (its SentCompletion releases the key instead), and an election
                // that did not run took nothing: the NOSCRIPT is the reply.
                bool waiting;
                lock (this)
                {
                    waiting = _state == Waiting;
                }

                if (waiting)
                {
                    _byText = true;
                    Task<RedisResult> again;
                    try
                    {
                        again = _script.Evaluate(_db, _keys, _values, byText: true);
                    }
                    catch (Exception ex)
                    {
                        again = Task.FromException<RedisResult>(ex);
                    }

                    Watch(again);
                    return;
                }
            }

            var result = error is null ? sent.Result : null;
            bool deliver;
            lock (this)
            {
                deliver = _state == Waiting;
                if (deliver)
                {
                    _state = Answered;
                    _replied = true;
                }
            }

            if (deliver)
            {
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
                _completion?.Observe(error);

                // The caller may read it inline and recycle this instance: nothing touches it after these.
                if (error is null)
                {
                    _core.SetResult(result!);
                }
                else
                {
                    _core.SetException(error);
                }

                return;
            }

            // The caller has stopped waiting (timed out).
            if (_late == LateReply.ReleaseIfWon)
            {
                if (error is null && FlightScripts.HolderOf(result!, _token) == _token)
                {
                    _ = _group.AbandonAsync(_flight, _token);
                }
            }
            else
            {
                _completion!.Observe(error);
            }

            bool recycle;
            lock (this)
            {
                _replied = true;
                recycle = _read;
            }

            if (recycle)
            {
                Recycle();
            }
        }

        private void OnTimer()
        {
            lock (this)
            {
                if (_state != Waiting)
                {
                    return;
                }

                var left = _deadline - Stopwatch.GetTimestamp();
                if (left > 0)
                {
                    // Early (the timer's clock is not the stopwatch's), or armed for an earlier use of this instance.
                    _timer.Change((long)Math.Ceiling(left * 1000.0 / Stopwatch.Frequency), Timeout.Infinite);
                    return;
                }

                _state = TimedOut;
            }

            _core.SetException(new TimeoutException("Redis did not answer within RedisTimeout."));
        }

        public RedisResult GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                bool recycle;
                lock (this)
                {
                    _read = true;
                    recycle = _replied;
                }

                if (recycle)
                {
                    Recycle();
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);

        /// <summary>
        /// Forgets this use (no payload or key is kept alive by an idle instance) and goes back to the group. Called by
        /// the call itself once it is done; by its user only for a call that was never sent.
        /// </summary>
        public void Recycle()
        {
            if (_keys is not null)
            {
                Array.Clear(_keys, 0, _keys.Length);
                Array.Clear(_values, 0, _values.Length);
            }

            _payload.Clear();
            _db = null!;
            _sent = null;
            _byText = false;
            _flight = default;
            _token = null!;
            _completion = null;
            lock (this)
            {
                _state = Idle;
                _replied = false;
                _read = false;
            }

            _core.Reset();
            _group.ReturnCall(this);
        }
    }
}
