namespace SingleFlight.Benchmarks;

/// <summary>A benchmark that counts how often the work really ran; the quick mode prints it.</summary>
public interface IExecutionReport
{
    string LastExecutions { get; }
}
