#if NETSTANDARD2_0
namespace System.Runtime.CompilerServices;

// The compiler needs this type for init accessors and records; netstandard2.0 does not have it.
internal static class IsExternalInit
{
}
#endif
